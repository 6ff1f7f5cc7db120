using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Mounting;

/// <summary>How a mount was made.</summary>
public enum MountMethod
{
    /// <summary>mount(2), called by this process (as root).</summary>
    DirectMount,
    /// <summary>fusermount3, the setuid helper, which mounts and passes the /dev/fuse descriptor back.</summary>
    Fusermount,
}

/// <summary>A live mount: where, how it was made, its /dev/fuse fd, and its connection id under /sys/fs/fuse.</summary>
public sealed class MountHandle
{
    /// <summary>The absolute path of the mountpoint.</summary>
    public required string Mountpoint { get; init; }
    /// <summary>How the mount was made.</summary>
    public required MountMethod Method { get; init; }
    /// <summary>The connection's /dev/fuse descriptor (the session owns it).</summary>
    public required int Fd { get; init; }
    /// <summary>The connection's number in /sys/fs/fuse/connections (the mount's device minor), or 0 if unknown.</summary>
    public uint ConnectionId { get; internal set; }
    /// <summary>True once this process has removed the mount.</summary>
    public bool Unmounted { get; internal set; }
    /// <summary>With auto_unmount: the process that unmounts if this one dies (told to stand down at unmount).</summary>
    internal AutoUnmountGuard? AutoUnmount { get; set; }
}

/// <summary>
/// Makes and removes mounts. As root (and unless fusermount is asked for) DirectMount: open /dev/fuse and call
/// mount(2) here; otherwise fusermount3.
/// </summary>
internal static class Mounter
{
    public static MountHandle Mount(string mountpoint, MountOptions options)
    {
        if (options.Debug) Session.Log.Level = Session.LogLevel.Debug;
        var (path, _) = Mountpoint.Check(mountpoint);
        // auto_unmount needs a process that outlives this one: the program's watcher for a mount(2) mount, or,
        // when the program has none, fusermount3's (as libfuse does).
        bool direct = !options.UseFusermount && Libc.Geteuid() == 0 && (!options.AutoUnmount || AutoUnmountWatcher.Command is not null);
        MountHandle handle;
        if (direct) handle = DirectMount(path, options);
        else
        {
            int fd = Fusermount.Mount(path, options, out var guard);
            handle = new MountHandle { Mountpoint = path, Method = MountMethod.Fusermount, Fd = fd, AutoUnmount = guard };
        }
        if (Mountpoint.FindMount(path) is { } info && info.Major == 0) handle.ConnectionId = info.Minor;
        if (direct && options.AutoUnmount) StartWatcher(handle);
        if (Session.Log.DebugEnabled)
            Session.Log.Debug($"mounted {path} {(direct ? "by mount(2)" : "through fusermount3")}, connection {handle.ConnectionId}");
        return handle;
    }

    private static void StartWatcher(MountHandle handle)
    {
        try
        {
            handle.AutoUnmount = AutoUnmountWatcher.Start(handle);
        }
        catch (MountException)
        {
            Unmount(handle, lazy: true);
            Libc.Close(handle.Fd);
            throw;
        }
    }

    private static MountHandle DirectMount(string path, MountOptions options)
    {
        int fd = Transport.DevFuse.DevFuseChannel.OpenDevice();
        if (fd < 0) throw new MountException($"cannot open /dev/fuse: {Errno.Name(-fd)}");
        // rootmode must be the type bits of a directory: the mount's root is always a directory here.
        string data = options.KernelData(fd, Linux.S_IFDIR, Libc.Getuid(), Libc.Getgid());
        ulong flags = options.MountFlags | (options.ReadOnly ? Libc.MS_RDONLY : 0);
        if (Libc.Mount(options.FsName, path, options.FsType, flags, data) < 0)
        {
            int e = Libc.Errno;
            Libc.Close(fd);
            throw e switch
            {
                Errno.EPERM => new MountException($"mount {path}: operation not permitted (need root, or use -o fusermount)"),
                Errno.EINVAL => new MountException($"mount {path}: the kernel refused the options '{data[(data.IndexOf(',') + 1)..]}' (EINVAL)"),
                Errno.ENODEV => new MountException($"mount {path}: the kernel has no FUSE support (ENODEV)"),
                _ => new MountException($"mount {path}: {Errno.Name(e)}"),
            };
        }
        return new MountHandle { Mountpoint = path, Method = MountMethod.DirectMount, Fd = fd };
    }

    /// <summary>Unmount. Returns 0, or an errno (EBUSY when files are open and <paramref name="lazy"/> is false).</summary>
    public static int Unmount(MountHandle handle, bool lazy)
    {
        if (handle.Unmounted) return 0;
        int result = 0;
        if (handle.Method == MountMethod.DirectMount || Libc.Geteuid() == 0)
        {
            if (Libc.Umount2(handle.Mountpoint, (lazy ? Libc.MNT_DETACH : 0) | Libc.UMOUNT_NOFOLLOW) < 0)
            {
                int e = Libc.Errno;
                // EINVAL: not a mount point any more (someone unmounted it already).
                if (e != Errno.EINVAL && e != Errno.ENOENT) result = e;
            }
        }
        else if (!Mountpoint.RunFusermountUnmount(handle.Mountpoint, lazy))
        {
            result = Mountpoint.FindMount(handle.Mountpoint) is null ? 0 : Errno.EBUSY;
        }
        if (result == 0)
        {
            handle.Unmounted = true;
            handle.AutoUnmount?.Disarm();
        }
        return result;
    }

    /// <summary>End the connection from the kernel side (fusectl abort): every pending request fails, reads return ENODEV.</summary>
    public static bool Abort(uint connectionId)
    {
        if (connectionId == 0) return false;
        string path = $"{ConnectionsDir}/{connectionId}/abort";
        if (!File.Exists(path) && EnsureConnectionsFs() && !File.Exists(path)) return false;
        try
        {
            File.WriteAllText(path, "1");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Where fusectl shows the connections: /sys/fs/fuse/connections/N/{abort,waiting,...}.</summary>
    public const string ConnectionsDir = "/sys/fs/fuse/connections";

    /// <summary>
    /// Make sure fusectl is mounted on <see cref="ConnectionsDir"/> (systemd does it at boot; containers often do
    /// not): mount it when it is missing and we are root. True when it is there.
    /// </summary>
    public static bool EnsureConnectionsFs()
    {
        if (!Directory.Exists(ConnectionsDir)) return false;
        if (Mountpoint.FindMount(ConnectionsDir) is { FsType: "fusectl" }) return true;
        if (Libc.Geteuid() != 0) return false;
        if (Libc.Mount("fusectl", ConnectionsDir, "fusectl", 0, "") < 0)
        {
            int e = Libc.Errno;
            if (e != Errno.EBUSY) return false;    // EBUSY: someone mounted it just now
        }
        else Session.Log.Debug($"mounted fusectl on {ConnectionsDir}");
        return true;
    }
}
