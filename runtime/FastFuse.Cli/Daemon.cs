using System.Diagnostics;
using FastFuse.Interop;
using FastFuse.Mounting;

namespace FastFuse.Cli;

/// <summary>
/// Detaching without fork(2), which a .NET process cannot survive: the command starts its own binary again
/// (found through /proc/self/exe, so neither PATH nor any other program is involved) with <see cref="ChildFlag"/> in front of
/// the same arguments, and waits on a pipe. The child calls setsid(2), mounts, and once the kernel's INIT is
/// answered moves its stdout and stderr to /dev/null (or the --log file), leaves the working directory for /,
/// and says "ready" on the pipe; the parent then exits 0. A child that fails before that has printed its one
/// error line on the caller's stderr, which it still holds, and the parent exits with the child's code.
/// </summary>
internal static class Daemon
{
    /// <summary>First argument of the re-executed child. Internal: not in --help.</summary>
    public const string ChildFlag = "--internal-daemon-child";
    private const string Ready = "ready";

    /// <summary>The caller's side: start the child and wait for "ready" or its exit.</summary>
    public static int StartChild(string[] args)
    {
        var psi = new ProcessStartInfo(SelfExe(out string? dll)) { RedirectStandardOutput = true, UseShellExecute = false };
        if (dll is not null) psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(ChildFlag);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The daemon gets stdin, stdout and stderr, nothing else the caller handed us (a CI runner's pipe on
        // fd 7 would otherwise stay open, and the runner waiting on it, for as long as the mount lives).
        ProcessCalls.CloexecAboveStderr();
        Process child;
        try
        {
            child = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Output.Error($"could not start the background process: {e.Message}");
            return 1;
        }
        using (child)
        {
            if (child.StandardOutput.ReadLine() == Ready) return 0;
            child.WaitForExit();
            return child.ExitCode == 0 ? 1 : child.ExitCode;
        }
    }

    /// <summary>
    /// This program: the file /proc/self/exe points at (so the daemon shows in ps and pgrep as fastfuse, not
    /// "exe"), or /proc/self/exe itself when that file is gone (deleted or replaced since we started); dotnet plus
    /// the assembly when run as <c>dotnet FastFuse.Cli.dll</c>.
    /// </summary>
    internal static string SelfExe(out string? dll)
    {
        dll = null;
        string? path = Environment.ProcessPath;
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
            dll = Environment.GetCommandLineArgs()[0];
        return path is not null && File.Exists(path) ? path : "/proc/self/exe";
    }

    /// <summary>The child's side, from its first instruction: a session of its own, then mount and serve.</summary>
    public static int RunChild(string[] args)
    {
        ProcessCalls.Setsid();                 // no controlling terminal: the terminal's signals and hang-up pass us by
        Streams.StdinFromDevNull();
        CliOptions cli;
        try
        {
            cli = CliOptions.Parse(args);
        }
        catch (MountException e)
        {
            Output.Error(e.Message);
            return 2;
        }
        return Program.MountAndServe(cli, detached: true);
    }

    /// <summary>Called once the mount answers: let go of the caller's stderr and directory, then say ready.</summary>
    public static void Detach(int logFd)
    {
        Streams.Redirect(logFd, 2);
        ProcessCalls.Chdir("/");
        Output.Stdout(Ready + "\n");
        Streams.Redirect(logFd, 1);
    }
}
