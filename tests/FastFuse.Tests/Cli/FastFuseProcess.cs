using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace FastFuse.Tests.Cli;

/// <summary>
/// The real <c>fastfuse</c> binary: FASTFUSE_BIN if set, else the static build in out/bin/fastfuse, else the JIT
/// apphost of runtime/FastFuse.Cli (after <c>dotnet build runtime/FastFuse.Cli</c>).
/// </summary>
internal static class FastFuseBinary
{
    private static readonly Lazy<string> s_repo = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FastFuse.sln"))) return d.FullName;
        throw new InvalidOperationException($"no FastFuse.sln above {AppContext.BaseDirectory}");
    });

    private static readonly Lazy<string> s_path = new(() =>
    {
        if (Environment.GetEnvironmentVariable("FASTFUSE_BIN") is { Length: > 0 } env)
        {
            if (!File.Exists(env)) throw new InvalidOperationException($"FASTFUSE_BIN={env} does not exist");
            return env;
        }
        string aot = Path.Combine(Repo, "out", "bin", "fastfuse");
        if (File.Exists(aot)) return aot;
        string jit = Path.Combine(Repo, "runtime", "FastFuse.Cli", "bin", "Debug", "net10.0", "FastFuse.Cli");
        if (File.Exists(jit)) return jit;
        throw new InvalidOperationException(
            $"no fastfuse binary: set FASTFUSE_BIN, run scripts/publish.sh ({aot}) or dotnet build runtime/FastFuse.Cli ({jit})");
    });

    public static string Repo => s_repo.Value;
    public static string Executable => s_path.Value;
}

/// <summary>One run of the binary: output collected line by line, killed (and waited for) on Dispose.</summary>
internal sealed class FastFuseProcess : IDisposable
{
    public const int SIGINT = 2, SIGTERM = 15, SIGKILL = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    private readonly Process _p;
    private readonly List<string> _out = new(), _err = new();
    private readonly TaskCompletionSource _outDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FastFuseProcess(IEnumerable<string> args, string[]? via = null)
    {
        var psi = new ProcessStartInfo(via is { Length: > 0 } ? via[0] : FastFuseBinary.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (via is { Length: > 0 })
        {
            foreach (var a in via.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(FastFuseBinary.Executable);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = new Process { StartInfo = psi };
        _p.OutputDataReceived += (_, e) => { if (e.Data is null) _outDone.TrySetResult(); else lock (_out) _out.Add(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is null) _errDone.TrySetResult(); else lock (_err) _err.Add(e.Data); };
        _p.Start();
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
        _p.StandardInput.Close();
    }

    public static FastFuseProcess Start(params string[] args) => new(args);

    /// <summary>Start fastfuse through a program that execs it (env, setsid…): <c>via[0] via[1..] fastfuse args</c>.</summary>
    public static FastFuseProcess StartVia(string[] via, params string[] args) => new(args, via);

    /// <summary>Run to the end (killed after <paramref name="timeout"/>, which fails the test).</summary>
    public static FastFuseProcess Run(TimeSpan timeout, params string[] args)
    {
        var p = new FastFuseProcess(args);
        if (!p.WaitForExit(timeout))
        {
            p.Dispose();
            throw new Xunit.Sdk.XunitException($"fastfuse {string.Join(' ', args)} did not exit within {timeout}");
        }
        return p;
    }

    public int Pid => _p.Id;
    public bool HasExited => _p.HasExited;
    public int ExitCode => _p.ExitCode;
    public List<string> Stdout { get { lock (_out) return _out.ToList(); } }
    public List<string> Stderr { get { lock (_err) return _err.ToList(); } }
    public string AllOutput => $"stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}";

    /// <summary>Wait for the process and for both output pipes to reach their end.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout)) return false;
        // The pipes close when every holder is gone (a detached child may hold them a little longer).
        Task.WaitAll(new Task[] { _outDone.Task, _errDone.Task }, TimeSpan.FromSeconds(3));
        return true;
    }

    public void Signal(int sig)
    {
        if (SysKill(_p.Id, sig) != 0) throw new InvalidOperationException($"kill({_p.Id}, {sig}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static bool Kill(int pid, int sig) => SysKill(pid, sig) == 0;

    /// <summary>Wait until a stderr line matches.</summary>
    public bool WaitForStderr(Func<string, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Stderr.Any(match)) return true;
            if (_p.HasExited) return Stderr.Any(match);
            Thread.Sleep(20);
        }
        return false;
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                SysKill(_p.Id, SIGKILL);
                _p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _p.Dispose();
    }
}

/// <summary>Mount table checks and clean-up for CLI tests.</summary>
internal static class Mounts
{
    /// <summary>How many mounts sit exactly at <paramref name="path"/> (per /proc/self/mountinfo).</summary>
    public static int CountAt(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        int n = 0;
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var parts = line.Split(' ');
            if (parts.Length > 4 && Unescape(parts[4]) == full) n++;
        }
        return n;
    }

    /// <summary>The filesystem type of the topmost mount at <paramref name="path"/>, or null.</summary>
    public static string? TypeAt(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string? type = null;
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var parts = line.Split(' ');
            int dash = Array.IndexOf(parts, "-");
            if (parts.Length > 4 && dash > 0 && dash + 1 < parts.Length && Unescape(parts[4]) == full) type = parts[dash + 1];
        }
        return type;
    }

    public static bool IsMounted(string path) => CountAt(path) > 0;

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length)
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>Poll until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(25);
        }
        return condition();
    }

    /// <summary>Detach every mount at <paramref name="path"/> (umount -l), ignoring failures.</summary>
    public static void ForceUnmount(string path)
    {
        for (int i = 0; i < 4 && IsMounted(path); i++)
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo("umount", new[] { "-l", path })
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                });
                if (p is not null && !p.WaitForExit(10_000)) p.Kill();
            }
            catch (Exception) { /* best effort */ }
        }
    }

    /// <summary>Run a file operation against a mount with a time limit, so a hung daemon fails the test instead of hanging it.</summary>
    public static T Io<T>(Func<T> op, string what)
    {
        var t = Task.Run(op);
        if (!t.Wait(TimeSpan.FromSeconds(20))) throw new Xunit.Sdk.XunitException($"{what} did not finish within 20 s");
        return t.Result;
    }

    public static void Io(Action op, string what) => Io(() => { op(); return 0; }, what);

    /// <summary>Processes whose command line contains <paramref name="needle"/> (not this one).</summary>
    public static List<int> PidsWithArg(string needle)
    {
        var list = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Contains(needle)) list.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return list;
    }

    /// <summary>True while <paramref name="pid"/> runs (a zombie counts as exited).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}

/// <summary>A fresh directory to mount on, unmounted (lazily) and removed on Dispose.</summary>
internal sealed class TempMountpoint : IDisposable
{
    public string Root { get; }
    public string Path { get; }

    public TempMountpoint()
    {
        Root = Directory.CreateTempSubdirectory("fastfuse-cli-").FullName;
        Path = System.IO.Path.Combine(Root, "mnt");
        Directory.CreateDirectory(Path);
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        Mounts.ForceUnmount(Path);
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
