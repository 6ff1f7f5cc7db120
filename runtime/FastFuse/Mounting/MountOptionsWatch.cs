using FastFuse.Api;
using FastFuse.Interop;

namespace FastFuse.Mounting;

/// <summary>
/// Follows the per-mount options of one FUSE mount (its atime rules and ro/rw) in /proc/self/mountinfo, so a
/// remount (<c>mount -o remount,strictatime MNT</c>) reaches the filesystem: the kernel sends a FUSE daemon nothing
/// when only per-mount flags change. proc(5): poll on mountinfo reports POLLPRI|POLLERR after any change to the
/// mount table; the thread then reads the table again and picks this mount's line by its device (0:connection)
/// and mountpoint. One thread per mounted session, asleep in poll(2) until a change or <see cref="Dispose"/>.
/// A remount made in another mount namespace is not seen, and bind mounts of the same connection share one
/// policy (the kernel does not say which mount a request came through): the line at the mountpoint wins.
/// </summary>
internal sealed unsafe class MountOptionsWatch : IDisposable
{
    private readonly uint _connection;
    private readonly string _mountpoint;
    private readonly Action<AtimePolicy> _changed;
    private readonly int _mountinfo;
    private readonly int _wakeRead, _wakeWrite;
    private readonly Thread _thread;

    private MountOptionsWatch(MountHandle mount, Action<AtimePolicy> changed, int mountinfo, int wakeRead, int wakeWrite)
    {
        _connection = mount.ConnectionId;
        _mountpoint = mount.Mountpoint;
        _changed = changed;
        _mountinfo = mountinfo;
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
        _thread = new Thread(Loop) { IsBackground = true, Name = "fastfuse mount options" };
    }

    /// <summary>Start watching, having applied the options the table shows now; null when the mount cannot be
    /// found by its connection (the policy from the mount options then stands).</summary>
    public static MountOptionsWatch? Start(MountHandle mount, Action<AtimePolicy> changed)
    {
        if (mount.ConnectionId == 0) return null;
        int fd = Libc.Open("/proc/self/mountinfo", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return null;
        int* p = stackalloc int[2];
        if (Libc.Pipe2(p, Libc.O_CLOEXEC | Libc.O_NONBLOCK) != 0)
        {
            Libc.Close(fd);
            return null;
        }
        var w = new MountOptionsWatch(mount, changed, fd, p[0], p[1]);
        w.Refresh();
        w._thread.Start();
        return w;
    }

    private void Loop()
    {
        const short POLLPRI = 2, POLLERR = 8;
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = _mountinfo, Events = POLLPRI };
            fds[1] = new PollFd { Fd = _wakeRead, Events = Libc.POLLIN };
            int n = Libc.Poll(fds, 2, -1);
            if (n < 0 && Libc.Errno == Kernel.Errno.EINTR) continue;
            if (n < 0 || fds[1].Revents != 0) return;
            if ((fds[0].Revents & (POLLPRI | POLLERR)) != 0) Refresh();
        }
    }

    /// <summary>Read the table and apply this mount's line (the topmost at the mountpoint; else any line of the
    /// connection, for a mount that was moved).</summary>
    private void Refresh()
    {
        MountInfo? here = null, any = null;
        string[] lines;
        try { lines = File.ReadAllLines("/proc/self/mountinfo"); }
        catch (IOException) { return; }
        foreach (var line in lines)
        {
            var m = MountInfo.Parse(line);
            if (m is null || m.Major != 0 || m.Minor != _connection || !m.FsType.StartsWith("fuse", StringComparison.Ordinal)) continue;
            any = m;
            if (m.MountPoint == _mountpoint) here = m;
        }
        if ((here ?? any) is { } found) _changed(AtimePolicy.FromMountinfoOptions(found.Options));
    }

    private int _disposed;

    /// <summary>Stop the thread and close the descriptors, once: a second close would hit whatever file reused
    /// their numbers (another session's /dev/fuse fd, say).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        byte b = 1;
        Libc.Write(_wakeWrite, &b, 1);
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(5));
        Libc.Close(_wakeWrite);
        Libc.Close(_wakeRead);
        Libc.Close(_mountinfo);
    }
}
