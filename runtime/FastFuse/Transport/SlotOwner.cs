using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport;

/// <summary>
/// A transport loop that owns request slots: a /dev/fuse worker, or one fuse-uring queue. It brings requests in,
/// hands each slot to the dispatcher, and sends the reply the dispatcher gives back.
/// </summary>
internal abstract class SlotOwner
{
    /// <summary>
    /// Send the finished reply of <paramref name="slot"/>, on the thread that handled it. The owner checks the
    /// epoch (<see cref="ReplyGate.IsCurrent"/>) and classifies a failed write (<see cref="ReplyGate.Failed"/>).
    /// </summary>
    internal abstract void Send(RequestSlot slot);

    /// <summary>
    /// The handler deferred the request: return the handle it answers through later. A transport whose slot
    /// stays with the request (a ring entry) keeps it until then; /dev/fuse frees it at once.
    /// </summary>
    internal PendingReply Defer(RequestSlot slot) => new(this, slot);

    /// <summary>
    /// A deferred reply, from any thread: <paramref name="payload"/> is valid only during the call. The owner
    /// checks the epoch and either writes at once (/dev/fuse) or hands the reply to its loop thread.
    /// </summary>
    internal abstract void SendDeferred(in DeferredTarget target, int errno, ReadOnlySpan<byte> payload);

    /// <summary>A deferred reply written at once on <paramref name="channel"/> (the fd that read the request), from
    /// the calling thread: header on this stack, payload pinned for the call. writev on /dev/fuse is atomic and may
    /// come from any thread.</summary>
    private protected static unsafe void WriteDeferred(FuseSession session, FuseChannel channel, in DeferredTarget t, int errno, ReadOnlySpan<byte> payload)
    {
        ReplyGate.TraceDeferred(t.Unique, errno, payload.Length, t.Opcode);
        if (!session.Gate.IsCurrent(t.Epoch)) return;
        FuseOutHeader header;
        header.Len = (uint)(FuseOutHeader.Size + payload.Length);
        header.Error = -errno;
        header.Unique = t.Unique;
        // Safe: header is on this stack frame and payload is pinned by `fixed` for the duration of writev.
        fixed (byte* p = payload)
        {
            Interop.IoVec* iov = stackalloc Interop.IoVec[2];
            iov[0] = new Interop.IoVec(&header, FuseOutHeader.Size);
            iov[1] = new Interop.IoVec(p, payload.Length);
            int r = channel.WriteV(iov, payload.IsEmpty ? 1 : 2);
            Interlocked.Increment(ref session.Stats.DeferredWrites);
            if (r < 0) session.Gate.Failed(-r, t.Opcode, t.Unique);
        }
    }
}

/// <summary>Where a deferred reply goes: the request and the slot that read it.</summary>
internal readonly struct DeferredTarget(int slotIndex, ulong unique, long epoch, Opcode opcode, long startTicks)
{
    public readonly int SlotIndex = slotIndex;
    public readonly ulong Unique = unique;
    public readonly long Epoch = epoch;
    public readonly Opcode Opcode = opcode;
    public readonly long StartTicks = startTicks;
}
