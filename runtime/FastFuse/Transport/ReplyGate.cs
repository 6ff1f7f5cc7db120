using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport;

/// <summary>
/// The last step of every reply and notification, the same for every transport: the epoch check before the
/// write, and the classification of a write the kernel refused. A reply read in an earlier epoch is dropped
/// before the write. A refused write is sorted into ENOENT (request forgotten: interrupted, or dropped at
/// unmount — the RELEASE race), ENODEV/ECONNABORTED/ENOTCONN (connection gone) or anything else (our bug: the
/// only class logged as an error).
/// </summary>
internal sealed class ReplyGate
{
    private readonly FuseSession _session;

    public ReplyGate(FuseSession session) => _session = session;

    /// <summary>True when a reply to a request read in <paramref name="epoch"/> may still be written; otherwise it
    /// is counted as dropped.</summary>
    public bool IsCurrent(long epoch)
    {
        if (epoch == _session.Epoch) return true;
        Interlocked.Increment(ref _session.Stats.DroppedStale);
        return false;
    }

    /// <summary>The debug line of a reply about to be written.</summary>
    public static void Trace(ulong unique, int status, int payload, string? note = null)
    {
        if (!Log.DebugEnabled) return;
        string what = status == 0 ? $"OK {payload} bytes" : Errno.Name(status);
        Log.Debug(note is null ? $"tx {unique}: {what}" : $"tx {unique}: {what} ({note})");
    }

    /// <summary>The debug line of a deferred reply. The note is built only when debug logging is on: an interpolated
    /// string argument would cost an allocation on every deferred reply (measured: ~36 bytes per reply from the C
    /// ABI's second thread, the only allocation on that path).</summary>
    public static void TraceDeferred(ulong unique, int status, int payload, Opcode opcode)
    {
        if (Log.DebugEnabled) Trace(unique, status, payload, $"deferred {OpcodeInfo.Name(opcode)}");
    }

    /// <summary>Classify a write the kernel refused with <paramref name="errno"/>.</summary>
    public void Failed(int errno, Opcode opcode, ulong unique)
    {
        var stats = _session.Stats;
        switch (errno)
        {
            case Errno.ENOENT:
                Interlocked.Increment(ref stats.ReplyNotFound);
                if (Log.DebugEnabled) Log.Debug($"reply {unique} ({OpcodeInfo.Name(opcode)}): ENOENT, request no longer known to the kernel");
                break;
            case Errno.ENODEV:
            case Errno.ECONNABORTED:
            case Errno.ENOTCONN:
                Interlocked.Increment(ref stats.ReplyNoDevice);
                if (Log.DebugEnabled) Log.Debug($"reply {unique} ({OpcodeInfo.Name(opcode)}): {Errno.Name(errno)}, connection gone");
                break;
            default:
                Interlocked.Increment(ref stats.ReplyOtherErrors);
                Log.Error($"writing reply {unique} failed: {Errno.Name(errno)}, opcode {OpcodeInfo.Name(opcode)}");
                break;
        }
    }
}
