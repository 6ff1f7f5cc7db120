using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Transport;

namespace FastFuse.Api;

/// <summary>
/// The payload of a READ or READLINK reply: bytes written into the request's pinned reply memory
/// (<see cref="Append"/>, <see cref="Take"/>, <see cref="Reserve"/>), memory that is already pinned
/// (<see cref="AppendPinned"/>), runs of zeros (<see cref="AppendZeros"/>) or a range of a file
/// (<see cref="AppendFile"/>). Never longer than the size the kernel asked for.
/// <para>On a transport that writes the reply before the handler returns (/dev/fuse), pinned memory and zeros go
/// out as segments of one writev without a copy. On the others (rings) everything is copied into the request's
/// reply memory as it is added. Either way the rule is the one of <see cref="RequestSlot"/>: memory lent to the
/// reply must stay valid and unchanged until the handler returns, or until <see cref="Send"/>.</para>
/// </summary>
public unsafe ref struct DataReply
{
    // Invariant that makes the pointers safe: buffer, iov and zeros are native allocations owned by the slot
    // (or the session, for zeros) that handles this request; they outlive the request and are not touched by
    // another thread until the reply has been sent. iov is null when the transport does not gather.
    private readonly byte* _buffer;
    private readonly int _bufferCapacity;
    private readonly IoVec* _iov;
    private readonly int _iovCapacity;
    private readonly byte* _zeros;
    private readonly int _zerosLength;
    private int _bufferUsed;
    private int _iovCount;
    private int _fileFd;
    private long _fileOffset;
    private readonly RequestSlot? _slot;

    internal DataReply(RequestSlot? slot, byte* buffer, int bufferCapacity, IoVec* iov, int iovCapacity, byte* zeros, int zerosLength, int limit)
    {
        _slot = slot;
        Sent = false;
        _buffer = buffer;
        _bufferCapacity = bufferCapacity;
        _iov = iov;
        _iovCapacity = iovCapacity;
        _zeros = zeros;
        _zerosLength = zerosLength;
        Limit = limit;
        Length = 0;
        _bufferUsed = 0;
        _iovCount = 0;
        _fileFd = -1;
        _fileOffset = 0;
    }

    /// <summary>How many bytes the kernel asked for.</summary>
    public int Limit { get; }
    /// <summary>Bytes gathered so far.</summary>
    public int Length { get; private set; }
    /// <summary>Bytes that may still be added.</summary>
    public readonly int Remaining => Limit - Length;

    internal readonly int SegmentCount => _iovCount;
    /// <summary>Segments go out as an iovec list; false: everything is copied into one contiguous buffer.</summary>
    private readonly bool Gathers => _iov != null;

    /// <summary>True once <see cref="Send"/> has written the reply.</summary>
    public bool Sent { get; private set; }

    /// <summary>
    /// Write the reply now, before the handler returns. Use it when the memory handed to
    /// <see cref="AppendPinned"/> is only stable while the handler holds a lock: send inside the lock, then
    /// release it. After Send the reply is final; the handler's return value is ignored.
    /// </summary>
    public void Send()
    {
        if (Sent) throw new InvalidOperationException("the reply was already sent");
        if (_slot is null) throw new InvalidOperationException("this reply is not attached to a request");
        Sent = true;
        _slot.SendNow(ref this);
    }

    internal readonly int FileFd => _fileFd;
    internal readonly long FileOffset => _fileOffset;

    /// <summary>
    /// Answer with up to <paramref name="count"/> bytes of the open file <paramref name="fd"/> from
    /// <paramref name="offset"/>, without copying them through user space: the runtime splices file → pipe →
    /// /dev/fuse, or, where splice cannot be used, reads them with pread. Fewer bytes are sent when the file ends
    /// sooner. It must be the only content of the reply. The fd must stay open until the handler returns.
    /// </summary>
    public void AppendFile(int fd, long offset, int count)
    {
        if (Sent) ThrowSent();
        if (Length != 0 || _fileFd >= 0) ThrowFileOnly();
        if (fd < 0) throw new ArgumentOutOfRangeException(nameof(fd));
        if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset));
        if ((uint)count > (uint)Remaining) ThrowTooLong(count);
        _fileFd = fd;
        _fileOffset = offset;
        Length = count;
    }

    /// <summary>Reserve <paramref name="count"/> bytes in the reply buffer and return them to be filled in place.</summary>
    public Span<byte> Take(int count)
    {
        CheckOpen();
        if ((uint)count > (uint)Remaining || count > _bufferCapacity - _bufferUsed) ThrowTooLong(count);
        byte* p = _buffer + _bufferUsed;
        _bufferUsed += count;
        if (Gathers) AddSegment(p, count);
        else Length += count;
        return new Span<byte>(p, count);
    }

    /// <summary>
    /// The reply buffer's free space, up to <paramref name="max"/> bytes, to be filled in place before knowing how
    /// much will be used (a C callback, a read(2) into it); nothing is added until <see cref="Commit"/>.
    /// </summary>
    public Span<byte> Reserve(int max)
    {
        CheckOpen();
        int room = Math.Min(Math.Min(max, Remaining), _bufferCapacity - _bufferUsed);
        return new Span<byte>(_buffer + _bufferUsed, Math.Max(room, 0));
    }

    /// <summary>Add the first <paramref name="count"/> bytes of the last <see cref="Reserve"/> to the reply.</summary>
    public void Commit(int count)
    {
        if (count < 0 || count > Math.Min(Remaining, _bufferCapacity - _bufferUsed)) ThrowTooLong(count);
        Take(count);
    }

    /// <summary>Copy <paramref name="data"/> into the reply.</summary>
    public void Append(scoped ReadOnlySpan<byte> data) => data.CopyTo(Take(data.Length));

    /// <summary>
    /// Send <paramref name="pinned"/> without copying. The caller guarantees the memory does not move and stays
    /// unchanged until the handler returns (native memory, or an array allocated on the pinned object heap).
    /// </summary>
    public void AppendPinned(scoped ReadOnlySpan<byte> pinned)
    {
        if ((uint)pinned.Length > (uint)Remaining) ThrowTooLong(pinned.Length);
        if (pinned.IsEmpty) return;
        if (!Gathers)
        {
            Append(pinned);
            return;
        }
        CheckOpen();
        AddSegment((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(pinned)), pinned.Length);
    }

    /// <summary>Add <paramref name="count"/> zero bytes (a hole); on /dev/fuse without touching memory.</summary>
    public void AppendZeros(int count)
    {
        if ((uint)count > (uint)Remaining) ThrowTooLong(count);
        if (!Gathers)
        {
            Take(count).Clear();
            return;
        }
        CheckOpen();
        while (count > 0)
        {
            int n = Math.Min(count, _zerosLength);
            AddSegment(_zeros, n);
            count -= n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void CheckOpen()
    {
        if (_fileFd >= 0) ThrowFileOnly();
        if (Sent) ThrowSent();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddSegment(byte* p, int count)
    {
        if (count == 0) return;
        if (_iovCount > 0)
        {
            ref IoVec last = ref _iov[_iovCount - 1];
            if ((byte*)last.Base + (long)last.Length == p && p != _zeros)
            {
                last.Length += (nuint)count;
                Length += count;
                return;
            }
        }
        if (_iovCount == _iovCapacity) ThrowTooManySegments();
        _iov[_iovCount++] = new IoVec(p, count);
        Length += count;
    }

    private static void ThrowFileOnly() =>
        throw new InvalidOperationException("AppendFile must be the only content of a reply");

    private static void ThrowSent() =>
        throw new InvalidOperationException("the reply was already sent: nothing may be added after Send()");

    private static void ThrowTooLong(int count) =>
        throw new ArgumentOutOfRangeException(nameof(count), $"reply data of {count} more bytes exceeds the size the kernel asked for");

    private void ThrowTooManySegments() =>
        throw new InvalidOperationException($"a reply holds at most {_iovCapacity} segments");
}
