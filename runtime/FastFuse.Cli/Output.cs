using System.Text;
using FastFuse.Interop;
using FastFuse.Session;

namespace FastFuse.Cli;

/// <summary>
/// Everything the command prints, written to fd 1 and fd 2 with write(2), never through System.Console:
/// Console writes through copies of the descriptors it dups on first use, so after the daemon moves fds 1 and 2
/// to /dev/null or its log with dup2, Console would still hold (and write to) the caller's pipe, and a caller
/// reading it (`fastfuse memfs MNT 2>&amp;1 | cat`) would wait as long as the mount lives. One write(2) per line
/// also keeps lines from different threads whole.
/// </summary>
internal static unsafe class Output
{
    /// <summary>One error line for the user: "fastfuse: MESSAGE".</summary>
    public static void Error(string message) => Write(2, "fastfuse: " + message + "\n");

    public static void Stdout(string text) => Write(1, text);

    /// <summary>Route the runtime's log lines through here too (same prefixes as its own stderr writer).</summary>
    public static void TakeOverLog() =>
        Log.Sink = (level, line) => Write(2, level switch
        {
            LogLevel.Error => "fastfuse: error: ",
            LogLevel.Warn => "fastfuse: warning: ",
            _ => "fastfuse: ",
        } + line + "\n");

    private static void Write(int fd, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        // The array is pinned by `fixed` for the whole loop; write(2) reads at most len bytes from p.
        fixed (byte* start = bytes)
        {
            byte* p = start;
            nint left = bytes.Length;
            while (left > 0)
            {
                nint n = Libc.Write(fd, p, (nuint)left);
                if (n < 0 && Libc.Errno == Kernel.Errno.EINTR) continue;
                if (n <= 0) return;            // EPIPE, EBADF…: nobody to tell
                p += n;
                left -= n;
            }
        }
    }
}
