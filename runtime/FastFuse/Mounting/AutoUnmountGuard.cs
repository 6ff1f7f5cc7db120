using System.Diagnostics;
using FastFuse.Interop;

namespace FastFuse.Mounting;

/// <summary>
/// What keeps an auto_unmount mount's promise: a process outside the daemon that unmounts when the daemon dies,
/// and that the daemon tells to stand down when it unmounts cleanly itself. It holds one end of a pipe or socket
/// whose other end only the daemon has: the kernel closes that on the daemon's death, however it dies.
/// </summary>
internal abstract class AutoUnmountGuard
{
    /// <summary>The mount is gone (the daemon unmounted it): the watcher must not unmount anything later.</summary>
    public abstract void Disarm();
}

/// <summary>fusermount3 -o auto_unmount: it stays, holding its end of the _FUSE_COMMFD socket, until that closes.</summary>
internal sealed class FusermountGuard(int socket, Process fusermount) : AutoUnmountGuard
{
    private int _socket = socket;
    // Kept so the process object (and its output readers) live as long as the mount.
    private readonly Process _fusermount = fusermount;

    public override void Disarm()
    {
        // fusermount3 sees the socket close and tries to unmount a mount that is gone already; then it exits.
        int fd = Interlocked.Exchange(ref _socket, -1);
        if (fd >= 0) Libc.Close(fd);
        GC.KeepAlive(_fusermount);
    }
}

/// <summary>The program's own watcher (<see cref="AutoUnmountWatcher"/>), reading the pipe on its stdin.</summary>
internal sealed class WatcherGuard(Process watcher) : AutoUnmountGuard
{
    private Process? _watcher = watcher;

    public override void Disarm()
    {
        var w = Interlocked.Exchange(ref _watcher, null);
        if (w is null) return;
        try
        {
            w.StandardInput.Write(AutoUnmountWatcher.DisarmWord + "\n");
            w.StandardInput.Close();
        }
        catch (IOException) { /* the watcher is gone already: nothing to stand down */ }
        w.Dispose();
    }
}
