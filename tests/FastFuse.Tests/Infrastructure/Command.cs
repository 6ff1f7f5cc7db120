using System.Diagnostics;

namespace FastFuse.Tests.Infrastructure;

/// <summary>One run of an external program to its end: exit code, stdout and stderr as lines.</summary>
public sealed record CommandResult(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    public string All => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}";
}

public static class Command
{
    /// <summary>
    /// Run <paramref name="exe"/> with stdin from /dev/null; killed (and the test failed) after
    /// <paramref name="timeout"/>. <paramref name="env"/> entries replace (or, with a null value, remove) variables;
    /// <paramref name="clearEnv"/> starts from an empty environment.
    /// </summary>
    public static CommandResult Run(string exe, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string?>? env = null, bool clearEnv = false, string? cwd = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (clearEnv) psi.Environment.Clear();
        if (env is not null)
            foreach (var (k, v) in env)
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new Xunit.Sdk.XunitException($"{exe} {string.Join(' ', args)} did not finish within {timeout}");
        }
        // A process it left behind may hold the pipes open: do not wait for them for ever.
        Task.WaitAll(new Task[] { stdout, stderr }, TimeSpan.FromSeconds(10));
        static string[] Lines(Task<string> t) =>
            t.IsCompletedSuccessfully ? t.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries) : new[] { "(output still open)" };
        return new CommandResult(p.ExitCode, Lines(stdout), Lines(stderr));
    }

    /// <summary>The repository root (the directory holding FastFuse.sln).</summary>
    public static string Repo
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "FastFuse.sln"))) return d.FullName;
            throw new InvalidOperationException($"no FastFuse.sln above {AppContext.BaseDirectory}");
        }
    }
}
