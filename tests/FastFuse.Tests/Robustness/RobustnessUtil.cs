using System.Diagnostics;
using System.Runtime.InteropServices;
using FastFuse.Session;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// Robustness tests count the process's fds and threads and replace <see cref="Log.Sink"/>: they never run beside
/// other tests (xunit runs collections with DisableParallelization one at a time, after the parallel ones).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RobustnessCollection
{
    public const string Name = "robustness (log capture, fd and thread counts; not parallel)";
}

/// <summary>Captures every log line for the length of a test; restores the previous sink and level on Dispose.</summary>
internal sealed class LogLines : IDisposable
{
    private readonly Action<LogLevel, string>? _oldSink;
    private readonly LogLevel _oldLevel;
    private readonly List<(LogLevel Level, string Line)> _lines = new();

    public LogLines(LogLevel level = LogLevel.Info)
    {
        _oldSink = Log.Sink;
        _oldLevel = Log.Level;
        Log.Level = level;
        Log.Sink = (l, s) => { lock (_lines) _lines.Add((l, s)); };
    }

    public List<(LogLevel Level, string Line)> All { get { lock (_lines) return _lines.ToList(); } }
    public List<string> At(LogLevel level) => All.Where(l => l.Level == level).Select(l => l.Line).ToList();
    public List<string> AtLeast(LogLevel level) => All.Where(l => l.Level >= level).Select(l => $"[{l.Level}] {l.Line}").ToList();

    public void Dispose()
    {
        Log.Sink = _oldSink;
        Log.Level = _oldLevel;
    }
}

/// <summary>What the process holds: open fds (/proc/self/fd) and threads (/proc/self/task).</summary>
internal static class ProcessCounts
{
    /// <summary>
    /// Open fds, leaving out assemblies and native libraries the runtime maps while other tests run in parallel
    /// (a test elsewhere loading Microsoft.Win32.Registry.dll is not a FastFuse leak).
    /// </summary>
    public static int Fds()
    {
        int n = 0;
        foreach (var f in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target = null;
            try { target = new FileInfo(f).LinkTarget; }
            catch (IOException) { }
            if (target is not null && (target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".so", StringComparison.Ordinal) || target.Contains(".so.", StringComparison.Ordinal)))
                continue;
            n++;
        }
        return n;
    }

    public static int Threads() => Directory.GetDirectories("/proc/self/task").Length;

    /// <summary>Thread names (comm, at most 15 characters) of the live threads.</summary>
    public static List<string> ThreadNames()
    {
        var names = new List<string>();
        foreach (var t in Directory.GetDirectories("/proc/self/task"))
        {
            try { names.Add(File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n')); }
            catch (IOException) { }
        }
        return names;
    }

    /// <summary>
    /// Threads other than the runtime's own (".NET TP Worker", ".NET Long Running Task", ".NET Timer"…, which the thread
    /// pool and the test host start and retire on their own schedule). FastFuse's workers are "fuse-worker-N".
    /// </summary>
    public static int NonPoolThreads() => ThreadNames().Count(n => !n.StartsWith(".NET ", StringComparison.Ordinal));

    public static List<string> FdTargets()
    {
        var list = new List<string>();
        foreach (var f in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            try { list.Add($"{Path.GetFileName(f)} -> {new FileInfo(f).LinkTarget}"); }
            catch (IOException) { }
        }
        return list;
    }

    /// <summary>Wait up to <paramref name="timeout"/> for <paramref name="probe"/> to reach at most <paramref name="limit"/>.</summary>
    public static int SettleTo(Func<int> probe, int limit, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        int v = probe();
        while (v > limit && sw.Elapsed < timeout)
        {
            Thread.Sleep(5);
            v = probe();
        }
        return v;
    }
}

internal static unsafe partial class RLibc
{
    private const string Lib = "libc";

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    public const int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    [LibraryImport(Lib, SetLastError = true)] public static partial int poll(PollFd* fds, nuint nfds, int timeout);
    [LibraryImport(Lib, SetLastError = true)] public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);
    [LibraryImport(Lib, SetLastError = true)] public static partial int munmap(void* addr, nuint length);
    [LibraryImport(Lib, SetLastError = true)] public static partial int mprotect(void* addr, nuint len, int prot);
    [LibraryImport(Lib, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int stat(string path, byte* buf);
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int umount2(string path, int flags);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>stat(2) on a path: 0 or the errno.</summary>
    public static int StatErrno(string path)
    {
        byte* buf = stackalloc byte[256];
        return stat(path, buf) < 0 ? Errno : 0;
    }
}

/// <summary>The fastfuse CLI binary for tests that run it as a process.</summary>
internal static class CliBinary
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastFuse.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (FastFuse.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>FASTFUSE_BIN, else out/bin/fastfuse, else the Debug build of runtime/FastFuse.Cli (built if missing).</summary>
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("FASTFUSE_BIN") is { Length: > 0 } env) return env;
        string root = RepoRoot();
        string published = Path.Combine(root, "out/bin/fastfuse");
        if (File.Exists(published)) return published;
        string debug = Path.Combine(root, "runtime/FastFuse.Cli/bin/Debug/net10.0/FastFuse.Cli");
        if (!File.Exists(debug))
        {
            var psi = new ProcessStartInfo("dotnet", $"build \"{Path.Combine(root, "runtime/FastFuse.Cli")}\" -v quiet --nologo")
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
        }
        if (!File.Exists(debug)) throw new FileNotFoundException("fastfuse binary not found; set FASTFUSE_BIN or run scripts/publish.sh", debug);
        return debug;
    }

    /// <summary>A running CLI with its stderr and stdout collected line by line.</summary>
    public sealed class Running : IDisposable
    {
        public Process Process { get; }
        private readonly List<string> _err = new();
        private readonly List<string> _out = new();

        public Running(params string[] args)
        {
            var psi = new ProcessStartInfo(Find()) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            Process = Process.Start(psi)!;
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Add(e.Data); };
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Add(e.Data); };
            Process.BeginErrorReadLine();
            Process.BeginOutputReadLine();
        }

        public List<string> Stderr { get { lock (_err) return _err.ToList(); } }
        public List<string> Stdout { get { lock (_out) return _out.ToList(); } }

        public bool WaitExit(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout)) return false;
            Process.WaitForExit(); // drain the async readers
            return true;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                try { Process.Kill(); } catch (InvalidOperationException) { }
                Process.WaitForExit(5000);
            }
            Process.Dispose();
        }
    }

    /// <summary>Wait until <paramref name="mountpoint"/> is a FUSE mount (in this mount namespace).</summary>
    public static Mounting.MountInfo? WaitForMount(string mountpoint, TimeSpan timeout, Func<bool>? stillAlive = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Mounting.Mountpoint.FindMount(mountpoint) is { } m && m.FsType.StartsWith("fuse", StringComparison.Ordinal)) return m;
            if (stillAlive is not null && !stillAlive()) return null;
            Thread.Sleep(10);
        }
        return null;
    }

    public static bool WaitForUnmount(string mountpoint, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Mounting.Mountpoint.FindMount(mountpoint) is null) return true;
            Thread.Sleep(10);
        }
        return false;
    }
}
