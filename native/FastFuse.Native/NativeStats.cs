using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Native;

/// <summary>struct fastfuse_stats (fastfuse.h): a session's counters as numbers. Grow-only: members are added at the
/// end and the caller says in <see cref="Size"/> how much it knows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeStats
{
    public const uint CurrentVersion = 2;

    public uint Size;
    public uint Version;
    public ulong Requests;
    public fixed ulong Count[WorkerStats.Opcodes];
    public fixed ulong Errors[WorkerStats.Opcodes];
    public ulong ProtocolErrors, HandlerExceptions, Unimplemented, Interrupts, Forgets, Pending;
    public ulong DroppedStale, ReplyEnoent, ReplyEnodev, ReplyOtherErrors;
    public ulong NotificationsSent, NotificationsRefused, NotificationsDropped;
    public ulong SplicedReplies, SpliceFallbacks;
    public uint Depth;
    public uint Reserved;
    // version 2
    public ulong DeferredReplies;
    public ulong HeapAllocatedBytes;
    public ulong RequestPathAllocatedBytes;
}

internal static unsafe class StatsExports
{
    [UnmanagedCallersOnly(EntryPoint = "fastfuse_stats_get")]
    public static int Get(nint handle, NativeStats* out_)
    {
        try
        {
            if (Exports.Get(handle, "fastfuse_stats_get") is not { } s) return -Errno.EINVAL;
            if (out_ == null) { LastError.Set("fastfuse_stats_get: out is NULL"); return -Errno.EINVAL; }
            uint want = out_->Size;
            if (want < 8) { LastError.Set($"fastfuse_stats_get: out->size {want} is not sizeof(struct fastfuse_stats) (this library's is {sizeof(NativeStats)})"); return -Errno.EINVAL; }
            var st = s.Session.Stats;
            NativeStats n = default;
            n.Size = (uint)Math.Min(want, (uint)sizeof(NativeStats));
            n.Version = NativeStats.CurrentVersion;
            n.Requests = (ulong)st.TotalRequests;
            for (int op = 0; op < WorkerStats.Opcodes; op++)
            {
                n.Count[op] = (ulong)st.CountOf((Opcode)op);
                n.Errors[op] = (ulong)st.ErrorsOf((Opcode)op);
            }
            n.ProtocolErrors = (ulong)st.ProtocolErrors;
            n.HandlerExceptions = (ulong)st.HandlerExceptions;
            n.Unimplemented = (ulong)st.Unimplemented;
            n.Interrupts = (ulong)st.InterruptsReceived;
            n.Forgets = (ulong)st.Forgets;
            n.Pending = (ulong)st.PendingInFlight;
            n.DroppedStale = (ulong)st.DroppedStale;
            n.ReplyEnoent = (ulong)st.ReplyNotFound;
            n.ReplyEnodev = (ulong)st.ReplyNoDevice;
            n.ReplyOtherErrors = (ulong)st.ReplyOtherErrors;
            n.NotificationsSent = (ulong)st.NotificationsSent;
            n.NotificationsRefused = (ulong)st.NotificationsRefused;
            n.NotificationsDropped = (ulong)st.NotificationsDropped;
            n.SplicedReplies = (ulong)st.SplicedReplies;
            n.SpliceFallbacks = (ulong)st.SpliceFallbacks;
            n.Depth = (uint)st.Depth;
            n.DeferredReplies = (ulong)Interlocked.Read(ref st.DeferredWrites);
            n.HeapAllocatedBytes = (ulong)GC.GetTotalAllocatedBytes(precise: true);
            n.RequestPathAllocatedBytes = (ulong)(st.LoopAllocatedBytes + Interlocked.Read(ref ReplyExports.AllocatedBytes));
            // Safe: the caller's struct has at least n.Size bytes (its own size field says so), n is a local.
            Buffer.MemoryCopy(&n, out_, n.Size, n.Size);
            return 0;
        }
        catch (Exception e)
        {
            return -LastError.FailErrno(e);
        }
    }
}
