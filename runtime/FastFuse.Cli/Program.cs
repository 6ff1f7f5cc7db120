using System.Diagnostics;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Cli;

/// <summary>The <c>fastfuse</c> command: mount one of the example filesystems and serve it until unmounted.</summary>
public static class Program
{
    private const string DaemonEnv = "FASTFUSE_DAEMON_CHILD";
    public const string VersionText = "fastfuse 0.1.0 (FUSE protocol 7.45)";

    public static int Main(string[] args)
    {
        CliOptions cli;
        try
        {
            cli = CliOptions.Parse(args);
        }
        catch (MountException e)
        {
            Console.Error.WriteLine($"fastfuse: {e.Message}");
            return 2;
        }
        if (cli.Help)
        {
            Console.WriteLine(CliOptions.Usage);
            return 0;
        }
        if (cli.Version)
        {
            Console.WriteLine(VersionText);
            return 0;
        }
        if (!cli.Foreground && Environment.GetEnvironmentVariable(DaemonEnv) is null)
            return Daemonize(args);
        return Serve(cli);
    }

    internal static IRawFileSystem CreateFileSystem(CliOptions cli)
    {
        var m = cli.Mount;
        switch (cli.FileSystem)
        {
            case "memfs":
                m.Subtype ??= "memfs";
                return new MemFs(new MemFsOptions
                {
                    EntryTimeout = TimeSpan.FromSeconds(m.EntryTimeout),
                    AttrTimeout = TimeSpan.FromSeconds(m.AttrTimeout),
                    NegativeTimeout = TimeSpan.FromSeconds(m.NegativeTimeout),
                    DirectIo = m.DirectIo,
                    CapacityBytes = m.Size is 0 ? long.MaxValue : m.Size ?? 0,          // size=0: no limit, as tmpfs
                    MaxInodes = m.NrInodes is 0 ? long.MaxValue : m.NrInodes ?? 0,
                    RootUid = Interop.ProcessIdentity.Uid,
                    RootGid = Interop.ProcessIdentity.Gid,
                });
            case "hello":
                MemfsOnly(cli);
                m.Subtype ??= "hello";
                return new HelloFs();
            case "loopback":
                MemfsOnly(cli);
                m.Subtype ??= "loopback";
                if (m.FsName == "fastfuse") m.FsName = Path.GetFullPath(cli.Source!);
                if (!Directory.Exists(cli.Source)) throw new MountException($"loopback source {cli.Source} is not a directory");
                return new LoopbackFs(cli.Source!, new LoopbackOptions
                {
                    EntryTimeout = TimeSpan.FromSeconds(m.EntryTimeout),
                    AttrTimeout = TimeSpan.FromSeconds(m.AttrTimeout),
                    NegativeTimeout = TimeSpan.FromSeconds(m.NegativeTimeout),
                    DirectIo = m.DirectIo,
                    Passthrough = m.Passthrough,
                });
            default:
                throw new MountException($"unknown filesystem '{cli.FileSystem}'");
        }
    }

    /// <summary>size= and nr_inodes= limit memfs; anywhere else they would be accepted and ignored.</summary>
    private static void MemfsOnly(CliOptions cli)
    {
        string? given = cli.Mount.Size is not null ? "size" : cli.Mount.NrInodes is not null ? "nr_inodes" : null;
        if (given is not null) throw new MountException($"mount option '{given}' applies only to memfs, not to {cli.FileSystem}");
    }

    private static int Serve(CliOptions cli)
    {
        if (cli.Debug) Log.Level = LogLevel.Debug;
        FuseSession session;
        try
        {
            var fs = CreateFileSystem(cli);
            var so = new SessionOptions();
            if (cli.Threads is { } t) so.Threads = t;
            so.SpliceReads = !cli.Mount.NoSpliceRead;
            if (cli.SpinMicroseconds is { } us) so.Spin = TimeSpan.FromMicroseconds(us);
            session = FuseSession.Mount(fs, cli.Mountpoint!, cli.Mount, so);
        }
        catch (MountException e)
        {
            Console.Error.WriteLine($"fastfuse: {e.Message}");
            return 1;
        }

        int signalled = 0;
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            if (Interlocked.Exchange(ref signalled, 1) != 0) return;
            // Unmount on a thread of its own: the signal handler must return at once.
            new Thread(() =>
            {
                int r = session.Unmount(lazy: cli.Mount.LazyUnmount);
                if (r == Kernel.Errno.EBUSY)
                {
                    Log.Info($"{cli.Mountpoint} is busy; detaching it lazily");
                    session.Unmount(lazy: true);
                }
            }) { IsBackground = true, Name = "fastfuse-unmount" }.Start();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        session.Start();
        if (Environment.GetEnvironmentVariable(DaemonEnv) is not null)
        {
            // Tell the waiting parent the mount is up, then let go of its pipe.
            if (session.WaitForInit(TimeSpan.FromSeconds(30))) Console.Out.WriteLine("ready");
            Console.Out.Flush();
            Console.SetOut(TextWriter.Null);
        }
        session.Wait();
        bool aborted = session.Aborted;
        session.Dispose();
        if (cli.PrintStats) Console.Out.Write(session.Stats.Format());
        if (aborted) Console.Error.WriteLine($"fastfuse: the connection to {cli.Mountpoint} was aborted; exiting");
        return 0;
    }

    /// <summary>
    /// Detach like a classic daemon without fork() (unsafe in a managed process): start this binary again with
    /// the same arguments in a new session, wait until it says the mount is ready, and exit.
    /// </summary>
    private static int Daemonize(string[] args)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(exe);
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            foreach (var a in Environment.GetCommandLineArgs().Take(1)) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[DaemonEnv] = "1";
        using var child = Process.Start(psi);
        if (child is null)
        {
            Console.Error.WriteLine("fastfuse: could not start the background process");
            return 1;
        }
        string? line = child.StandardOutput.ReadLine();
        if (line == "ready") return 0;
        child.WaitForExit();
        return child.ExitCode == 0 ? 1 : child.ExitCode;
    }
}
