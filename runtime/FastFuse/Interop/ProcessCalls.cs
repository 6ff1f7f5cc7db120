using System.Runtime.InteropServices;

namespace FastFuse.Interop;

/// <summary>
/// The calls that shape a process rather than a file: sessions, standard streams, working directory, signal
/// dispositions. Used by the CLI to detach, by the auto_unmount watcher, and for the signal policy.
/// </summary>
internal static unsafe partial class ProcessCalls
{
    private const string Lib = "libc";
    public const nint SIG_DFL = 0, SIG_IGN = 1;

    [LibraryImport(Lib, EntryPoint = "setsid", SetLastError = true)]
    public static partial int Setsid();

    [LibraryImport(Lib, EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(Lib, EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chdir(string path);

    [LibraryImport(Lib, EntryPoint = "close_range", SetLastError = true)]
    private static partial int CloseRange(uint first, uint last, int flags);

    private const int CLOSE_RANGE_CLOEXEC = 4;

    /// <summary>
    /// Mark every descriptor from 3 up close-on-exec, so a program started next inherits only stdin, stdout and
    /// stderr (and what its starter sets up), not whatever this process was handed by its own caller.
    /// </summary>
    public static void CloexecAboveStderr()
    {
        if (CloseRange(3, uint.MaxValue, CLOSE_RANGE_CLOEXEC) == 0) return;
        // Kernels before 5.11: one fcntl per open descriptor.
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            if (int.TryParse(Path.GetFileName(entry), out int fd) && fd > 2)
                Libc.Fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
    }

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    private static partial int Sigaction(int sig, SigAction* act, SigAction* oldAct);

    /// <summary>
    /// If <paramref name="sig"/> is ignored (inherited SIG_IGN: a `cmd &amp;` in a script, some CI runners), make it
    /// default again, so a handler registered afterwards receives it. A disposition that is not SIG_IGN (the
    /// runtime's own handler, or default) is left as it is. True when it was ignored.
    /// </summary>
    public static bool UnignoreSignal(int sig)
    {
        SigAction old, dfl = default;
        // Both structs live on this stack frame for the whole call; the kernel ABI is glibc's struct sigaction.
        if (Sigaction(sig, null, &old) != 0 || old.Handler != SIG_IGN) return false;
        dfl.Handler = SIG_DFL;
        return Sigaction(sig, &dfl, null) == 0;
    }

    /// <summary>glibc's struct sigaction on x86_64 and aarch64: handler, 1024-bit mask, flags, restorer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SigAction
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public nint Restorer;
    }
}
