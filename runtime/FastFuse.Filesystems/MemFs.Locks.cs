using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Record locks (fcntl F_SETLK/F_SETLKW/F_GETLK, OFD locks included: the kernel gives each open file description
// its own owner) and flock, kept here rather than in the kernel (POSIX_LOCKS and FLOCK_LOCKS are negotiated), as a
// filesystem shared with other machines must. A close releases the closing owner's record locks (FLUSH); the last
// close of an open file releases its flock (RELEASE with FUSE_RELEASE_FLOCK_UNLOCK).
public sealed partial class MemFs
{
    private const uint ReleaseFlockUnlock = 2;   // FUSE_RELEASE_FLOCK_UNLOCK

    private readonly LockTable _locks = new();

    public int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result)
    {
        if (!_table.TryGet(nodeId, out _)) return Errno.ENOENT;
        result.Lk = _locks.Test(nodeId, in lk);
        return Status.Ok;
    }

    public int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait)
    {
        if (!_table.TryGet(nodeId, out _)) return Errno.ENOENT;
        return _locks.Set(in ctx, nodeId, in lk, wait);
    }

    public int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner)
    {
        _locks.ReleaseOwner(nodeId, lockOwner, flock: false);
        return Status.Ok;
    }

    private void ReleaseLocks(ulong nodeId, ulong fh, uint releaseFlags, ulong lockOwner)
    {
        if ((releaseFlags & ReleaseFlockUnlock) != 0) _locks.ReleaseOwner(nodeId, lockOwner, flock: true);
        _locks.ReleaseHandle(nodeId, fh);
    }

    /// <summary>A handle per open (OFD locks end with their open file, found by it).</summary>
    private long _lastHandle;

    private ulong NewHandle() => (ulong)Interlocked.Increment(ref _lastHandle);
}
