using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport;

/// <summary>How the body of a reply is described to the transport that sends it.</summary>
internal enum ReplyBody : byte
{
    /// <summary>Header only (an error, or a reply without payload).</summary>
    None,
    /// <summary><see cref="RequestSlot.BodyLength"/> bytes at <see cref="RequestSlot.BodyPtr"/>, slot memory.</summary>
    Inline,
    /// <summary><see cref="RequestSlot.Segments"/> iovecs at <see cref="RequestSlot.Iov"/> + 1 (gathering transports only).</summary>
    Segments,
    /// <summary><see cref="RequestSlot.BodyLength"/> bytes of <see cref="RequestSlot.FileFd"/> from <see cref="RequestSlot.FileOffset"/>.</summary>
    File,
}

/// <summary>
/// The transport's unit of work: one request in flight, with the memory its reply is built in. A transport owns
/// as many slots as it has requests in flight (one per /dev/fuse worker; one per ring entry for fuse-uring).
///
/// <para><b>The request</b> is a view in three parts: the in-header, the opcode's own struct (<see cref="Op"/>) and
/// the payload (<see cref="Payload"/>: names, write data). On /dev/fuse the transport hands over one contiguous
/// body and the dispatcher splits it at the opcode's struct size; on fuse-uring the kernel has already put the
/// struct and the payload in different buffers.</para>
///
/// <para><b>Reply memory and how long things must live — the one rule.</b> A reply is final when its handler
/// returns, or earlier when the handler calls <see cref="DataReply.Send"/>. From that moment the runtime never
/// reads memory the handler lent it (<see cref="DataReply.AppendPinned"/>, the fd of
/// <see cref="DataReply.AppendFile"/>). A transport that writes the reply at that moment (/dev/fuse: writev or
/// splice inside <see cref="SlotOwner.Send"/>) may send lent memory without copying it (<see cref="Gather"/>);
/// every other transport copies lent memory into the slot's own reply memory as it is appended, and sends later.
/// Slot memory itself (<see cref="Out"/>, <see cref="Fixed"/>, <see cref="Data"/>, <see cref="Iov"/>) belongs to
/// the slot for its whole life and is pinned: it is reused only once the transport has finished sending, which
/// for a ring means after the kernel has taken the commit.</para>
/// </summary>
internal sealed unsafe class RequestSlot
{
    /// <summary>Room for the largest fixed-size reply (CREATE: entry + open; STATX: 288 bytes).</summary>
    internal const int FixedCapacity = 512;

    internal readonly FuseSession Session;
    internal readonly SlotOwner Owner;
    /// <summary>The owner's number for this slot (ring entry index), carried by deferred replies.</summary>
    internal readonly int Index;
    internal readonly WorkerStats Stats;

    // ---- the request ---------------------------------------------------------------------------------
    internal FuseInHeader* Header;
    internal byte* Op;
    /// <summary>Bytes readable at <see cref="Op"/>: the whole body while <see cref="Contiguous"/>, else the op area.</summary>
    internal int OpLength;
    internal byte* Payload;
    internal int PayloadLength;
    /// <summary>Op and payload are one body at <see cref="Op"/> (/dev/fuse); the dispatcher splits it.</summary>
    internal bool Contiguous;

    // ---- reply memory (the slot's own, pinned) -------------------------------------------------------
    internal readonly FuseOutHeader* Out;
    internal readonly byte* Fixed;
    internal readonly byte* Data;
    internal readonly int DataCapacity;
    /// <summary>Gather list; entry 0 is kept for the header. Null when the transport does not gather.</summary>
    internal readonly IoVec* Iov;
    internal readonly int IovCapacity;
    /// <summary>Lent memory may be sent without a copy: the owner writes the reply before the handler returns.</summary>
    internal readonly bool Gather;
    /// <summary>The request's payload sits in the data area the reply is built in (a fuse-uring payload buffer): for
    /// opcodes that answer with data, the dispatcher first moves the payload (a name) out of the way.</summary>
    internal readonly bool PayloadInData;

    // ---- reply state, reset by Begin -----------------------------------------------------------------
    internal ReplyBody Body;
    internal byte* BodyPtr;
    internal int BodyLength;
    internal int Segments;
    internal int FileFd;
    internal long FileOffset;
    /// <summary>The reply has been handed to the owner (by the dispatcher, or early by DataReply.Send).</summary>
    internal bool Sent;
    internal int Status;
    internal long Epoch;
    internal long StartTicks;
    internal ulong Unique;
    internal Opcode Opcode;

    internal RequestSlot(FuseSession session, SlotOwner owner, int index, WorkerStats stats, FuseOutHeader* outHeader,
        byte* fixedArea, byte* data, int dataCapacity, IoVec* iov, int iovCapacity, bool payloadInData = false)
    {
        PayloadInData = payloadInData;
        Session = session;
        Owner = owner;
        Index = index;
        Stats = stats;
        Out = outHeader;
        Fixed = fixedArea;
        Data = data;
        DataCapacity = dataCapacity;
        Iov = iov;
        IovCapacity = iovCapacity;
        Gather = iov != null;
        FileFd = -1;
    }

    /// <summary>A contiguous request of <paramref name="length"/> bytes at <paramref name="buffer"/> (/dev/fuse).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetContiguous(byte* buffer, int length)
    {
        Header = (FuseInHeader*)buffer;
        Op = buffer + FuseInHeader.Size;
        OpLength = length - FuseInHeader.Size;
        Payload = null;
        PayloadLength = 0;
        Contiguous = true;
    }

    /// <summary>A request whose op struct and payload sit in different buffers (fuse-uring).</summary>
    internal void SetSplit(FuseInHeader* header, byte* op, int opLength, byte* payload, int payloadLength)
    {
        Header = header;
        Op = op;
        OpLength = opLength;
        Payload = payload;
        PayloadLength = payloadLength;
        Contiguous = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Begin(long epoch, long startTicks)
    {
        Body = ReplyBody.None;
        BodyLength = 0;
        Segments = 0;
        FileFd = -1;
        Sent = false;
        Status = 0;
        Epoch = epoch;
        StartTicks = startTicks;
    }

    /// <summary>Room in the fixed area for a payload moved out of the data area (GETXATTR names: at most 256 bytes).</summary>
    private const int RelocatedOffset = 64;

    /// <summary>Copy the payload into the fixed area (past the 8 bytes a size-probe answer uses); false when it does
    /// not fit, which no request of the opcodes concerned can legitimately need.</summary>
    internal bool RelocatePayload()
    {
        if (PayloadLength > FixedCapacity - RelocatedOffset) return false;
        Buffer.MemoryCopy(Payload, Fixed + RelocatedOffset, FixedCapacity - RelocatedOffset, PayloadLength);
        Payload = Fixed + RelocatedOffset;
        return true;
    }

    // ---- views for handlers --------------------------------------------------------------------------

    /// <summary>The opcode's struct (its size was checked against the table row before the handler ran).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref readonly T In<T>() where T : unmanaged => ref Unsafe.AsRef<T>(Op);

    internal ReadOnlySpan<byte> PayloadSpan => new(Payload, PayloadLength);

    /// <summary>The fixed reply area as a T (zeroed by the dispatcher for fixed-size rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref T Reply<T>(int offset = 0) where T : unmanaged => ref Unsafe.AsRef<T>(Fixed + offset);

    /// <summary>Send <paramref name="length"/> bytes of the fixed area.</summary>
    internal void UseFixed(int length) => SetInline(Fixed, length);

    /// <summary>Send <paramref name="length"/> bytes of the data area (directories, xattrs).</summary>
    internal void UseData(int length) => SetInline(Data, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetInline(byte* p, int length)
    {
        Body = length > 0 ? ReplyBody.Inline : ReplyBody.None;
        BodyPtr = p;
        BodyLength = length;
    }

    internal DataReply NewDataReply(int limit) =>
        new(this, Data, DataCapacity, Gather ? Iov + 1 : null, Gather ? IovCapacity - 1 : 0,
            Session.Zeros.Pointer, Session.Zeros.Size, Math.Min(limit, Math.Min(DataCapacity, Session.MaxReplyData)));

    /// <summary>Take the content of a finished <see cref="DataReply"/> as this slot's reply body.</summary>
    internal void UseDataReply(scoped ref DataReply data)
    {
        if (data.FileFd >= 0)
        {
            Body = ReplyBody.File;
            FileFd = data.FileFd;
            FileOffset = data.FileOffset;
            BodyLength = data.Length;
        }
        else if (Gather)
        {
            Segments = data.SegmentCount;
            Body = Segments > 0 ? ReplyBody.Segments : ReplyBody.None;
            BodyLength = data.Length;
        }
        else SetInline(Data, data.Length);
    }

    /// <summary>Fill the out header for <paramref name="status"/>; returns the reply's total length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int FillHeader(int status)
    {
        if (status != 0) Body = ReplyBody.None;
        int total = FuseOutHeader.Size + (Body == ReplyBody.None ? 0 : BodyLength);
        Out->Len = (uint)total;
        Out->Error = -status;
        Out->Unique = Unique;
        return total;
    }

    /// <summary>Answer now, from inside the handler (<see cref="DataReply.Send"/>): after this the runtime does not
    /// read the memory the handler lent the reply.</summary>
    internal void SendNow(scoped ref DataReply data)
    {
        UseDataReply(ref data);
        Complete(0);
    }

    /// <summary>Hand the finished reply to the owner, once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Complete(int status)
    {
        Status = status;
        Sent = true;
        Session.Interrupts.Complete(Unique);
        Owner.Send(this);
    }
}
