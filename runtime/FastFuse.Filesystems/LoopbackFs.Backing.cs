using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Filesystems;

// FUSE passthrough: which backing file an open gets. The kernel's rules (fs/fuse/iomode.c):
//  - an inode has at most one backing file while any passthrough open of it exists: a passthrough open that names
//    a different backing id is refused (-EBUSY), the caller's open(2) fails with EIO;
//  - while an inode has a backing file, an open without FOPEN_PASSTHROUGH is refused (EIO), and while it has
//    cached (page-cache) opens, a passthrough open is refused (-ETXTBSY, EIO);
//  - the kernel drops the inode's backing file when its last passthrough open is released, before it sends the
//    RELEASE.
// So the first open of an inode decides its mode, and every later open while any is open follows it: the backing
// id is shared by all passthrough handles of the node (a count, closed with the last RELEASE), and once an open was
// served through the daemon (BACKING_OPEN failed), later ones are too until every such handle is released.
public sealed partial class LoopbackFs
{
    /// <summary>How an open file is served.</summary>
    private enum IoMode : byte
    {
        /// <summary>Passthrough was not negotiated: every read and write comes to the daemon.</summary>
        Daemon,
        /// <summary>Passthrough is on, but this inode's opens are served by the daemon (counted in CachedOpens).</summary>
        Cached,
        /// <summary>FOPEN_PASSTHROUGH with the node's backing id (counted in PassthroughOpens).</summary>
        Passthrough,
    }

    /// <summary>One open file: its descriptor is the FUSE handle (fh).</summary>
    private sealed class OpenFile(LoopNode node, IoMode mode)
    {
        public readonly LoopNode Node = node;
        public readonly IoMode Mode = mode;
    }

    /// <summary>Test seam: the next N BACKING_OPEN calls count as failed (EPERM), as without CAP_SYS_ADMIN.</summary>
    internal int RefuseBackingOpens;

    /// <summary>
    /// The backing id for a new open of <paramref name="node"/> whose descriptor is <paramref name="fd"/>, or 0 to
    /// serve it through the daemon. Counts the open; <see cref="ReleaseBacking"/> takes it back.
    /// </summary>
    private int AcquireBacking(in RequestContext ctx, LoopNode node, int fd)
    {
        lock (node)
        {
            if (node.PassthroughOpens > 0)
            {
                node.PassthroughOpens++;
                return node.BackingId;
            }
            if (node.CachedOpens > 0)
            {
                node.CachedOpens++;
                return 0;
            }
            int err;
            int id = 0;
            if (RefuseBackingOpens > 0)
            {
                RefuseBackingOpens--;
                err = Errno.EPERM;
            }
            else
            {
                err = ctx.OpenBacking(fd, out id);
            }
            if (err == 0 && id > 0)
            {
                node.BackingId = id;
                node.PassthroughOpens = 1;
                return id;
            }
            node.CachedOpens = 1;
            if (Interlocked.Exchange(ref _passthroughWarned, 1) == 0)
                Log.Warn($"loopback: passthrough negotiated but FUSE_DEV_IOC_BACKING_OPEN failed ({Errno.Name(err)}); " +
                         "serving reads and writes of such files through the daemon");
            return 0;
        }
    }

    /// <summary>The RELEASE of a handle from <see cref="AcquireBacking"/>: the last passthrough one closes the backing id.</summary>
    private static void ReleaseBacking(in RequestContext ctx, OpenFile file)
    {
        var node = file.Node;
        if (file.Mode == IoMode.Daemon) return;
        lock (node)
        {
            if (file.Mode == IoMode.Cached)
            {
                node.CachedOpens--;
                return;
            }
            if (--node.PassthroughOpens > 0) return;
            int id = node.BackingId;
            node.BackingId = 0;
            int err = ctx.CloseBacking(id);
            if (err != 0 && err != Errno.ENOTCONN)
                Log.Warn($"loopback: FUSE_DEV_IOC_BACKING_CLOSE of backing id {id} failed ({Errno.Name(err)})");
        }
    }
}
