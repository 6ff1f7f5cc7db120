using FastFuse.Api;
using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// Record locks (fcntl, OFD) and flock, forwarded to the source (POSIX_LOCKS and FLOCK_LOCKS are negotiated): a
// process on the source and one through the mount see each other's locks. LoopbackLocks.cs says how. With FUSE
// passthrough too: it covers reads and writes only, locks still come as GETLK/SETLK/SETLKW requests.
//
// Cost: none on open, read and write. FLUSH and RELEASE (every close) test a field for null (_locks is made by the
// first lock request); once locks were used, one volatile read each while none is held or waited for (and a RELEASE
// of a file that used flock, which the kernel flags, unlocks it: one flock(2)).
public sealed partial class LoopbackFs
{
    private const uint ReleaseFlockUnlock = 2;   // FUSE_RELEASE_FLOCK_UNLOCK

    private LoopbackLocks? _locks;

    private LoopbackLocks Locks
    {
        get
        {
            if (_locks is { } l) return l;
            var made = new LoopbackLocks(OpenForLocks, fd => _files.ContainsKey(fd));
            return Interlocked.CompareExchange(ref _locks, made, null) ?? made;
        }
    }

    /// <summary>Descriptors held for record locks (one per lock owner and node that holds or waits for a lock).</summary>
    internal int LockDescriptors => _locks?.Descriptors ?? 0;

    public int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result)
    {
        if (!_table.TryGet(nodeId, out _)) return Errno.ENOENT;
        return Locks.Test(nodeId, in lk, ref result.Lk);
    }

    public int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait)
    {
        if (!_table.TryGet(nodeId, out _)) return Errno.ENOENT;
        return LoopbackLocks.IsFlock(in lk) ? Locks.Flock(in ctx, lk.Fh, in lk, wait) : Locks.Set(in ctx, nodeId, in lk, wait);
    }

    /// <summary>FLUSH: this owner's record locks on the node go, as a close does on a local file.</summary>
    private void FlushLocks(ulong nodeId, ulong lockOwner) => _locks?.Flush(nodeId, lockOwner);

    /// <summary>RELEASE (before the descriptor is closed): flock and OFD locks of the open file go.</summary>
    private void ReleaseLocks(ulong nodeId, ulong fh, uint releaseFlags) =>
        _locks?.Release(nodeId, fh, (releaseFlags & ReleaseFlockUnlock) != 0);

    /// <summary>A descriptor of the node's source file for its locks, opened as the daemon (the kernel checked the
    /// caller's right to the lock against the caller's own open file): a descriptor or -errno. O_NONBLOCK: a lease
    /// on the source makes the open fail rather than wait on a worker for the lease break.</summary>
    private unsafe int OpenForLocks(ulong nodeId, int access)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return -err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        int fd;
        // Safe: the path lives on this frame.
        fixed (byte* path = ProcPath(n.Fd, proc))
            fd = OpenAt(AT_FDCWD, path, access | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
        return fd < 0 ? -LastErrno() : fd;
    }
}
