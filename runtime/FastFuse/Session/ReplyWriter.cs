using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

/// <summary>
/// The last step of every reply: the epoch check, the write, and the classification of a failed write.
/// A reply read in an earlier epoch is dropped before the write. A write the kernel refuses is sorted into
/// ENOENT (request forgotten: interrupted, or dropped at unmount — the RELEASE race), ENODEV (connection gone)
/// or anything else (our bug: the only class logged as an error).
/// </summary>
internal sealed unsafe class ReplyWriter
{
    private readonly FuseSession _session;

    public ReplyWriter(FuseSession session) => _session = session;

    public void Write(FuseChannel channel, IoVec* iov, int count, in RequestContext ctx)
    {
        if (ctx.Epoch != _session.Epoch)
        {
            Interlocked.Increment(ref _session.Stats.DroppedStale);
            return;
        }
        int r = channel.WriteV(iov, count);
        if (r < 0) Classify(-r, ctx.Opcode, ctx.Unique);
    }

    /// <summary>A deferred reply, from any thread: header on this stack, payload pinned for the call.</summary>
    public void SendDetached(FuseChannel channel, ulong unique, long epoch, Opcode opcode, int errno, ReadOnlySpan<byte> payload, long startTicks)
    {
        _session.Interrupts.Complete(unique);
        if (epoch != _session.Epoch)
        {
            Interlocked.Increment(ref _session.Stats.DroppedStale);
            return;
        }
        if (errno != 0) payload = default;
        FuseOutHeader header;
        header.Len = (uint)(Worker.HeaderSize + payload.Length);
        header.Error = -errno;
        header.Unique = unique;
        if (Log.DebugEnabled)
            Log.Debug($"tx {unique}: {(errno == 0 ? "OK" : Errno.Name(errno))} {payload.Length} bytes (deferred {OpcodeInfo.Name(opcode)})");
        // Safe: header is on this stack frame and payload is pinned by `fixed` for the duration of writev.
        fixed (byte* p = payload)
        {
            IoVec* iov = stackalloc IoVec[2];
            iov[0] = new IoVec(&header, Worker.HeaderSize);
            iov[1] = new IoVec(p, payload.Length);
            int r = channel.WriteV(iov, payload.IsEmpty ? 1 : 2);
            if (r < 0) Classify(-r, opcode, unique);
        }
    }

    internal void Classify(int errno, Opcode opcode, ulong unique)
    {
        switch (errno)
        {
            case Errno.ENOENT:
                Interlocked.Increment(ref _session.Stats.ReplyNotFound);
                if (Log.DebugEnabled) Log.Debug($"reply {unique} ({OpcodeInfo.Name(opcode)}): ENOENT, request no longer known to the kernel");
                break;
            case Errno.ENODEV:
            case Errno.ECONNABORTED:
                Interlocked.Increment(ref _session.Stats.ReplyNoDevice);
                if (Log.DebugEnabled) Log.Debug($"reply {unique} ({OpcodeInfo.Name(opcode)}): {Errno.Name(errno)}, connection gone");
                break;
            default:
                Interlocked.Increment(ref _session.Stats.ReplyOtherErrors);
                Log.Error($"writing reply {unique} failed: {Errno.Name(errno)}, opcode {OpcodeInfo.Name(opcode)}");
                break;
        }
    }
}
