using System.Diagnostics;
using System.Globalization;
using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Mounting;

/// <summary>
/// auto_unmount for a mount made with mount(2) (as root): a small watcher process, started when the mount is made,
/// that reads a pipe from the daemon. The daemon never writes to it until it has unmounted cleanly ("disarm");
/// if the daemon dies instead, the kernel closes the pipe, the read sees EOF, and the watcher detaches the mount
/// (MNT_DETACH) if it is still the one it was started for (the same FUSE connection), then exits.
///
/// The watcher is a program, so the program provides it: <see cref="Command"/> is how to start it (the fastfuse
/// CLI sets its own binary with an internal flag, whose handler calls <see cref="Run"/>). A program that sets
/// none (a library user) gets fusermount3's watcher instead: auto_unmount then mounts through fusermount3, even as
/// root, as libfuse does.
/// </summary>
public static class AutoUnmountWatcher
{
    /// <summary>Program and leading arguments of the watcher; the mountpoint and connection id are appended.</summary>
    public static string[]? Command { get; set; }

    internal const string DisarmWord = "unmounted";

    /// <summary>Start the watcher for a live mount; throws <see cref="MountException"/> if it cannot.</summary>
    internal static WatcherGuard Start(MountHandle handle)
    {
        var cmd = Command ?? throw new InvalidOperationException("no auto_unmount watcher command");
        var psi = new ProcessStartInfo(cmd[0]) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in cmd.Skip(1)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(handle.Mountpoint);
        psi.ArgumentList.Add(handle.ConnectionId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var p = Process.Start(psi) ?? throw new MountException("auto_unmount: the watcher did not start");
            return new WatcherGuard(p);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MountException($"auto_unmount: cannot start the watcher {cmd[0]}: {e.Message}");
        }
    }

    /// <summary>
    /// The watcher's whole life: <c>args</c> are the mountpoint and the connection id. Leaves the daemon's session,
    /// streams and directory (it must pin nothing of the caller's), waits for the daemon's word or its death.
    /// </summary>
    public static unsafe int Run(string[] args)
    {
        if (args.Length != 2 || !uint.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint connection)) return 2;
        string mountpoint = args[0];
        ProcessCalls.Setsid();
        ProcessCalls.Chdir("/");
        int devNull = Libc.Open("/dev/null", Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        if (devNull >= 0)
        {
            ProcessCalls.Dup2(devNull, 1);
            ProcessCalls.Dup2(devNull, 2);
            Libc.Close(devNull);
        }
        byte b;
        nint n;
        // One byte into a local of this frame: read(2) writes at most that byte.
        do n = Libc.Read(0, &b, 1); while (n < 0 && Libc.Errno == Errno.EINTR);
        if (n > 0) return 0;                   // the daemon unmounted cleanly and said so
        // EOF: the daemon is gone without unmounting. Detach the mount if it is still ours.
        var m = Mountpoint.FindMount(mountpoint);
        bool ours = m is not null && m.FsType.StartsWith("fuse", StringComparison.Ordinal) &&
                    (connection == 0 || (m.Major == 0 && m.Minor == connection));
        if (ours) Libc.Umount2(mountpoint, Libc.MNT_DETACH | Libc.UMOUNT_NOFOLLOW);
        return 0;
    }
}
