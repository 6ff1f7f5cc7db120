using System.Runtime.CompilerServices;

namespace FastFuse.Filesystems;

/// <summary>
/// One chunk of a file's data: <see cref="Length"/> bytes at <see cref="Address"/>, in a 64 KiB slot of a
/// <see cref="ChunkArena"/>. Every byte of the slot at or past <see cref="Length"/> is zero, so a small chunk grows
/// in place without copying. Address 0: no chunk (a hole).
/// </summary>
internal struct Chunk
{
    public nint Address;
    public int Length;
    /// <summary>From the huge-page arena (allocated at full length), else from the small-page one.</summary>
    public bool Huge;

    public readonly bool IsNull => Address == 0;
}

/// <summary>
/// The filesystem-wide store of file data chunks: the capacity account (ENOSPC) and the two arenas the chunks come
/// from (huge pages for chunks allocated full, small pages for chunks that start small). See <see cref="ChunkArena"/>
/// for how freed memory goes back to the operating system. Chunks are native memory that never moves, so READ
/// answers point the kernel straight at them.
/// </summary>
internal sealed class ChunkStore : IDisposable
{
    public const int ChunkShift = 16;
    public const int ChunkSize = 1 << ChunkShift;     // 64 KiB
    public const int ChunkMask = ChunkSize - 1;
    /// <summary>Small chunks grow in steps of this, so a small file costs a few KiB, not 64.</summary>
    public const int Granule = 4096;

    private readonly ChunkArena _huge = new(huge: true);
    private readonly ChunkArena _small = new(huge: false);
    private long _used;

    public ChunkStore(long capacity) => Capacity = capacity;

    public long Capacity { get; }
    public long Used => Volatile.Read(ref _used);
    /// <summary>Freed memory kept resident for reuse (at most 2 × <see cref="ChunkArena.WarmLimit"/>).</summary>
    public long WarmBytes => _huge.WarmBytes + _small.WarmBytes;

    public bool Reserve(long bytes)
    {
        if (bytes <= 0) return true;
        if (Interlocked.Add(ref _used, bytes) > Capacity)
        {
            Interlocked.Add(ref _used, -bytes);
            return false;
        }
        return true;
    }

    public void Unreserve(long bytes)
    {
        if (bytes != 0) Interlocked.Add(ref _used, -bytes);
    }

    /// <summary>
    /// A new chunk of <paramref name="length"/> bytes (a full <see cref="ChunkSize"/> when <paramref name="huge"/>),
    /// zero except [skipFrom, skipTo), which the caller overwrites at once; false when no memory can be mapped.
    /// The bytes were reserved by the caller.
    /// </summary>
    public bool TryRent(bool huge, int length, int skipFrom, int skipTo, out Chunk chunk)
    {
        var arena = huge ? _huge : _small;
        nint a = arena.Rent(out int dirty);
        chunk = new Chunk { Address = a, Length = huge ? ChunkSize : length, Huge = huge };
        if (a == 0) return false;
        if (dirty > 0)
        {
            // A reused slot: zero its stale bytes except the range about to be written.
            var stale = Bytes(a, dirty);
            int from = Math.Clamp(skipFrom, 0, dirty), to = Math.Clamp(skipTo, from, dirty);
            stale[..from].Clear();
            stale[to..].Clear();
        }
        return true;
    }

    /// <summary>Give back a chunk no file refers to any more (its bytes were already unreserved).</summary>
    public void Free(in Chunk chunk)
    {
        if (chunk.IsNull) return;
        (chunk.Huge ? _huge : _small).Free(chunk.Address, chunk.Length);
    }

    /// <summary>The bytes of a chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> Bytes(Chunk chunk) => Bytes(chunk.Address, chunk.Length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Span<byte> Bytes(nint address, int length) =>
        // Safe: a chunk's slot stays mapped and owned by its file from TryRent until Free, and both happen under the
        // lock of that file (lock(FileNode)), which every user of the span holds for as long as it uses it — a READ
        // reply that points into a chunk is sent before the lock is released.
        new((void*)address, length);

    public void Dispose()
    {
        _huge.Dispose();
        _small.Dispose();
    }
}
