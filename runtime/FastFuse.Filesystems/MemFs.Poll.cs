using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// poll(2) with MemFsOptions.PollWaitsForData: a file is readable while it holds data. A poll that finds it empty
// and may be notified (FUSE_POLL_SCHEDULE_NOTIFY) leaves its kh on the file; the write that gives the file data
// takes them all and sends FUSE_NOTIFY_POLL for each, after which the kernel polls again. Without the option the
// answer is ENOSYS and the kernel polls nothing from then on.
public sealed partial class MemFs
{
    private const uint PollIn = 0x1, PollOut = 0x4, PollRdNorm = 0x40, PollWrNorm = 0x100;

    public int Poll(in RequestContext ctx, ulong nodeId, ulong fh, ulong kh, uint flags, uint events, ref FusePollOut result)
    {
        if (!_options.PollWaitsForData) return Errno.ENOSYS;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        uint ready = PollOut | PollWrNorm;
        if (n is not FileNode f)
        {
            result.Revents = ready | PollIn | PollRdNorm;
            return Status.Ok;
        }
        lock (f)
        {
            if (f.AttrSize > 0) ready |= PollIn | PollRdNorm;
            else if ((flags & (uint)PollFlags.ScheduleNotify) != 0 && (events & (PollIn | PollRdNorm)) != 0)
                (f.PollWaiters ??= new HashSet<ulong>()).Add(kh);
        }
        result.Revents = ready;
        return Status.Ok;
    }

    /// <summary>Call under <c>lock(f)</c> once it holds data: the waiters to wake (outside the lock).</summary>
    private static HashSet<ulong>? TakePollWaiters(FileNode f)
    {
        if (f.AttrSize == 0) return null;
        var w = f.PollWaiters;
        f.PollWaiters = null;
        return w;
    }

    /// <summary>FUSE_NOTIFY_POLL for each handle; a handle whose file was closed since is ignored by the kernel.</summary>
    private void WakePollers(HashSet<ulong> waiters)
    {
        if (_session is not { } session) return;
        foreach (ulong kh in waiters) session.Notify.PollWakeup(kh);
    }
}
