using System.Collections.Concurrent;
using System.Diagnostics;

namespace FastFuse.Tests.Infrastructure;

/// <summary>A second process a test talks to while it runs: its stdout line by line, its stdin, its end.</summary>
public sealed class Child : IDisposable
{
    private readonly Process _p;
    private readonly BlockingCollection<string> _lines = new();

    public Child(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        _p.OutputDataReceived += (_, e) => { if (e.Data is null) _lines.CompleteAdding(); else _lines.Add(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Add("stderr: " + e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public int Pid => _p.Id;

    /// <summary>The next line of output; the test fails if none comes within <paramref name="timeout"/>.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        if (_lines.TryTake(out var line, timeout)) return line;
        throw new Xunit.Sdk.XunitException($"child {_p.Id}: no output line within {timeout}");
    }

    /// <summary>True when no line comes within <paramref name="time"/> (the child is still waiting).</summary>
    public bool Silent(TimeSpan time) => !_lines.TryTake(out _, time);

    public void WriteLine(string line)
    {
        _p.StandardInput.WriteLine(line);
        _p.StandardInput.Flush();
    }

    public bool HasExited => _p.HasExited;

    public int WaitExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout)) throw new Xunit.Sdk.XunitException($"child {_p.Id} did not exit within {timeout}");
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public void Signal(int signal) => FastFuse.Interop.Libc.Kill(_p.Id, signal);

    public void Dispose()
    {
        try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
        _p.WaitForExit(5000);
        _p.Dispose();
    }
}

/// <summary>C helpers of the test suite, compiled with gcc once per run into a temporary directory.</summary>
public static class CHelpers
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> Built = new();

    /// <summary>The executable built from tests/FastFuse.Tests/<paramref name="relativeSource"/>.</summary>
    public static string Get(string relativeSource) => Built.GetOrAdd(relativeSource, s => new Lazy<string>(() => Build(s))).Value;

    private static string Build(string relativeSource)
    {
        string src = Path.Combine(Command.Repo, "tests", "FastFuse.Tests", relativeSource);
        string dir = Directory.CreateTempSubdirectory("fastfuse-chelper-").FullName;
        Posix.chmod(dir, 0x1ED);
        string exe = Path.Combine(dir, Path.GetFileNameWithoutExtension(src));
        var r = Command.Run("/usr/bin/gcc", new[] { "-Wall", "-Wextra", "-Werror", "-O1", "-o", exe, src }, TimeSpan.FromMinutes(2));
        if (r.ExitCode != 0) throw new InvalidOperationException($"gcc {src}: {r.All}");
        return exe;
    }
}
