using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Cli;

/// <summary>Make the filesystem the command line names, mount it, and serve it until it is unmounted.</summary>
internal static class Server
{
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
                    WritebackCache = m.WritebackCache,
                    KernelCache = m.KernelCache,
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
                return new LoopbackFs(Path.GetFullPath(cli.Source!), new LoopbackOptions
                {
                    EntryTimeout = TimeSpan.FromSeconds(m.EntryTimeout),
                    AttrTimeout = TimeSpan.FromSeconds(m.AttrTimeout),
                    NegativeTimeout = TimeSpan.FromSeconds(m.NegativeTimeout),
                    DirectIo = m.DirectIo,
                    Passthrough = m.Passthrough,
                    WritebackCache = m.WritebackCache,
                    KernelCache = m.KernelCache,
                    AutoCache = m.AutoCache,
                });
            case "zip":
                MemfsOnly(cli);
                return OpenZip(cli, m);
            default:
                throw new MountException($"unknown filesystem '{cli.FileSystem}'");
        }
    }

    /// <summary>The archive, read-only on both sides (the kernel's ro and ZipFs's EROFS); a damaged or unreadable archive
    /// is one line, and nothing is mounted.</summary>
    private static ZipFs OpenZip(CliOptions cli, MountOptions m)
    {
        string archive = Path.GetFullPath(cli.Source!);
        m.Subtype ??= "zip";
        if (m.FsName == "fastfuse") m.FsName = archive;
        m.ReadOnly = true;
        if (Directory.Exists(archive)) throw new MountException($"zip archive {archive} is a directory");
        try
        {
            return ZipFs.Open(archive, new ZipFsOptions
            {
                EntryTimeout = TimeSpan.FromSeconds(m.EntryTimeout),
                AttrTimeout = TimeSpan.FromSeconds(m.AttrTimeout),
                NegativeTimeout = TimeSpan.FromSeconds(m.NegativeTimeout),
            });
        }
        catch (FileNotFoundException) { throw new MountException($"zip archive {archive} does not exist"); }
        catch (DirectoryNotFoundException) { throw new MountException($"zip archive {archive} does not exist"); }
        catch (InvalidDataException e) { throw new MountException($"zip archive {archive}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new MountException($"zip archive {archive}: {e.Message}"); }
        catch (IOException e) { throw new MountException($"zip archive {archive}: {e.Message}"); }
    }

    /// <summary>size= and nr_inodes= limit memfs; anywhere else they would be accepted and ignored.</summary>
    private static void MemfsOnly(CliOptions cli)
    {
        string? given = cli.Mount.Size is not null ? "size" : cli.Mount.NrInodes is not null ? "nr_inodes" : null;
        if (given is not null) throw new MountException($"mount option '{given}' applies only to memfs, not to {cli.FileSystem}");
    }

    /// <summary>Mount and start the workers; a <see cref="MountException"/> (one line for the user) when it cannot.</summary>
    public static FuseSession Mount(CliOptions cli)
    {
        if (cli.Debug) Log.Level = LogLevel.Debug;
        IRawFileSystem fs;
        try { fs = CreateFileSystem(cli); }
        catch (IOException e) { throw new MountException(e.Message); }
        var so = new SessionOptions();
        if (cli.Threads is { } t) so.Threads = t;
        cli.Mount.ApplyTo(so);
        if (cli.SpinMicroseconds is { } us) so.Spin = TimeSpan.FromMicroseconds(us);
        return FuseSession.Mount(fs, cli.Mountpoint!, cli.Mount, so);
    }

    /// <summary>Start serving and wait until the kernel's INIT is answered (the mount answers from then on).</summary>
    public static void StartAndWaitForInit(FuseSession session, CliOptions cli)
    {
        session.Start();
        if (!session.WaitForInit(TimeSpan.FromSeconds(30)))
        {
            session.Unmount(lazy: true);
            throw new MountException($"{cli.Mountpoint}: mounted, but the kernel sent no INIT within 30 s; unmounted again");
        }
    }

    /// <summary>
    /// Serve until unmounted: SIGINT and SIGTERM unmount (lazily when busy). The signal handlers are registered
    /// before <paramref name="start"/> runs, so a signal that arrives while the mount comes up is not lost.
    /// </summary>
    public static int Serve(FuseSession session, CliOptions cli, Func<bool> start)
    {
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

        if (!start())
        {
            session.Dispose();
            return 1;
        }
        session.Wait();
        bool aborted = session.Aborted;
        session.Dispose();
        if (cli.PrintStats) Output.Stdout(session.Stats.Format());
        if (aborted) Output.Error($"the connection to {cli.Mountpoint} was aborted; exiting");
        return 0;
    }
}
