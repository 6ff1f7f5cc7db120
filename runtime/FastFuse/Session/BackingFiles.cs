using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Session;

/// <summary>FUSE passthrough backing files: ioctls on the session's /dev/fuse fd (kernel 6.9+, protocol 7.40+).</summary>
public sealed unsafe class BackingFiles
{
    private readonly FuseSession _session;
    private long _open;

    internal BackingFiles(FuseSession session) => _session = session;

    /// <summary>Backing ids currently registered.</summary>
    public long Registered => Interlocked.Read(ref _open);

    /// <summary>FUSE_DEV_IOC_BACKING_OPEN: register <paramref name="fd"/> (an open regular file) as a passthrough
    /// backing file.</summary>
    /// <returns>0, with the id in <paramref name="backingId"/>; or an errno: EOPNOTSUPP when passthrough was not
    /// agreed, EPERM without CAP_SYS_ADMIN.</returns>
    public int Open(int fd, out int backingId)
    {
        backingId = 0;
        if (!_session.Connection.Has(InitFlags.Passthrough)) return Errno.EOPNOTSUPP;
        FuseBackingMap map = default;
        map.Fd = fd;
        // Safe: map lives on this stack frame for the duration of the ioctl, which only reads its 16 bytes.
        int id = Libc.Ioctl(_session.ControlFd, DevIoctl.BackingOpen, &map);
        if (id < 0) return Libc.Errno;
        backingId = id;
        Interlocked.Increment(ref _open);
        return 0;
    }

    /// <summary>FUSE_DEV_IOC_BACKING_CLOSE: drop the backing id <paramref name="backingId"/>. Returns 0 or an
    /// errno.</summary>
    public int Close(int backingId)
    {
        uint id = (uint)backingId;
        // Safe: id lives on this stack frame for the duration of the ioctl, which only reads 4 bytes.
        if (Libc.Ioctl(_session.ControlFd, DevIoctl.BackingClose, &id) < 0) return Libc.Errno;
        Interlocked.Decrement(ref _open);
        return 0;
    }
}
