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

    /// <summary>Whether <paramref name="sig"/> is ignored right now.</summary>
    public static bool IsIgnored(int sig)
    {
        SigAction old;
        return Sigaction(sig, null, &old) == 0 && old.Handler == SIG_IGN;
    }

    /// <summary>Ignore <paramref name="sig"/> (SIG_IGN survives exec, as the kernel keeps it).</summary>
    public static bool IgnoreSignal(int sig)
    {
        SigAction ign = default;
        ign.Handler = SIG_IGN;
        return Sigaction(sig, &ign, null) == 0;
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
