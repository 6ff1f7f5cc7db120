using FastFuse.Interop;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Cli;

/// <summary>The <c>fastfuse</c> command: mount one of the example filesystems and serve it until unmounted.</summary>
public static class Program
{
    public const string VersionText = $"fastfuse {BuildInfo.Version} (FUSE protocol {BuildInfo.Protocol})";
    /// <summary>First argument of the auto_unmount watcher this binary starts of itself. Internal: not in --help.</summary>
    internal const string WatcherFlag = "--internal-auto-unmount-watcher";

    public static int Main(string[] args)
    {
        // fastfuse always answers SIGINT and SIGTERM, as Go programs do: started with them ignored (`fastfuse … &`
        // in a script, some CI runners), it would otherwise keep the ignore (.NET respects an inherited SIG_IGN)
        // and could only be stopped by umount or SIGKILL. Done first, before the runtime looks at the signals.
        ProcessCalls.UnignoreSignal(Libc.SIGINT);
        ProcessCalls.UnignoreSignal(Libc.SIGTERM);

        Output.TakeOverLog();
        if (args.Length > 0 && args[0] == WatcherFlag) return AutoUnmountWatcher.Run(args[1..]);
        // auto_unmount on a mount(2) mount: this binary again, as the watcher (see AutoUnmountWatcher).
        string self = Daemon.SelfExe(out string? dll);
        AutoUnmountWatcher.Command = dll is null ? new[] { self, WatcherFlag } : new[] { self, dll, WatcherFlag };
        if (args.Length > 0 && args[0] == Daemon.ChildFlag) return Daemon.RunChild(args[1..]);
        CliOptions cli;
        bool fake = false;
        try
        {
            if (MountHelper.IsHelperName(Argv0())) args = MountHelper.Translate(args, out fake);
            cli = CliOptions.Parse(args);
        }
        catch (MountException e)
        {
            Output.Error(e.Message);
            return 2;
        }
        if (cli.Help)
        {
            Output.Stdout(CliOptions.Usage + "\n");
            return 0;
        }
        if (cli.Version)
        {
            Output.Stdout(VersionText + "\n");
            return 0;
        }
        if (fake) return 0;                     // mount -f: the arguments are good, and nothing is mounted
        return cli.Foreground ? MountAndServe(cli, detached: false) : Daemon.StartChild(args);
    }

    /// <summary>The name this program was started by (argv[0], the first string of /proc/self/cmdline).</summary>
    private static string Argv0()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            int nul = Array.IndexOf(cmdline, (byte)0);
            return System.Text.Encoding.UTF8.GetString(cmdline, 0, nul < 0 ? cmdline.Length : nul);
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// Mount, and once the mount answers hand the standard streams over: a detached daemon to /dev/null or the
    /// --log file (and it tells its parent it is ready), a foreground one to the --log file if one is given.
    /// Every failure up to then is one line on the caller's stderr and exit 1.
    /// </summary>
    internal static int MountAndServe(CliOptions cli, bool detached)
    {
        int logFd = -1;
        FuseSession session;
        try
        {
            if (detached || cli.LogFile is not null) logFd = Streams.OpenLog(cli.LogFile);
            session = Server.Mount(cli);
        }
        catch (MountException e)
        {
            Output.Error(e.Message);
            return 1;
        }

        bool Start()
        {
            try
            {
                Server.StartAndWaitForInit(session, cli);
            }
            catch (MountException e)
            {
                Output.Error(e.Message);
                return false;
            }
            if (detached) Daemon.Detach(logFd);
            else if (logFd >= 0)
            {
                Streams.Redirect(logFd, 2);
                Streams.Redirect(logFd, 1);
            }
            if (logFd >= 0) Libc.Close(logFd);
            return true;
        }
        return Server.Serve(session, cli, Start);
    }
}
