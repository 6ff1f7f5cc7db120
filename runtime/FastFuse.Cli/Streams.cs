using FastFuse.Interop;
using FastFuse.Mounting;

namespace FastFuse.Cli;

/// <summary>Standard streams of the daemon: /dev/null or the --log file, by dup2 onto fds 0, 1, 2.</summary>
internal static class Streams
{
    /// <summary>Open the --log file (appended, created 0644) or /dev/null; throws one line for the user.</summary>
    public static int OpenLog(string? path)
    {
        int fd = Libc.Open(path ?? "/dev/null", Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) throw new MountException($"cannot open the log file {path}: {Kernel.Errno.Name(Libc.Errno)}");
        return fd;
    }

    public static void StdinFromDevNull()
    {
        int fd = Libc.Open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return;
        Redirect(fd, 0);
        Libc.Close(fd);
    }

    /// <summary>Make <paramref name="target"/> (0, 1 or 2) a copy of <paramref name="fd"/> (see <see cref="Output"/>).</summary>
    public static void Redirect(int fd, int target) => ProcessCalls.Dup2(fd, target);
}
