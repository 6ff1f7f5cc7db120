using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastFuse.Tests.Infrastructure;

/// <summary>
/// The processes the tests start (fastfuse, cat, the C examples, shells) get SIGINT and SIGTERM at their default,
/// whatever started the test run: a run started with SIGINT ignored (`./test &amp;` in a script, nohup-like CI
/// runners) would otherwise hand the ignore down to every child (exec keeps SIG_IGN), and a test that interrupts
/// a reader with SIGINT, or stops a C filesystem with it, would fail for a reason that has nothing to do with it.
/// Children inherit the test host's dispositions, so this sets the host's, once, before any test runs.
/// </summary>
internal static partial class ChildSignals
{
    public const int SIGINT = 2, SIGTERM = 15;

    [ModuleInitializer]
    internal static void ResetIgnoredSignals()
    {
        foreach (int sig in new[] { SIGINT, SIGTERM })
            if (IsIgnored(sig)) signal(sig, 0 /* SIG_DFL */);
    }

    /// <summary>True when <paramref name="sig"/> is ignored in this process.</summary>
    public static unsafe bool IsIgnored(int sig)
    {
        // glibc's struct sigaction is 152 bytes on x86_64 and aarch64, the handler first; 256 is room enough.
        byte* old = stackalloc byte[256];
        return sigaction(sig, null, old) == 0 && *(nint*)old == 1 /* SIG_IGN */;
    }

    /// <summary>The signals a process ignores, from the SigIgn mask of /proc/PID/status.</summary>
    public static bool ProcessIgnores(int pid, int sig)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:"));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (sig - 1))) != 0;
    }

    [LibraryImport("libc")] private static partial nint signal(int sig, nint handler);
    [LibraryImport("libc")] private static unsafe partial int sigaction(int sig, void* act, void* oldAct);
}
