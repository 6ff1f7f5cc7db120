using System.Runtime.ExceptionServices;
using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Tests.Infrastructure;

/// <summary>Which filesystem a parameterised mount test runs against.</summary>
public enum FsKind
{
    /// <summary>The in-memory <see cref="Filesystems.MemFs"/>.</summary>
    MemFs,
    /// <summary><see cref="LoopbackFs"/> mirroring a fresh, empty directory on the filesystem of /tmp (ext4 here).</summary>
    Loopback,
}

/// <summary>
/// A filesystem mounted through the kernel for the length of a test (or a class fixture): a fresh directory
/// under /tmp, a session serving it on worker threads of this process, unmounted and removed on Dispose.
/// </summary>
public sealed class MountedFs : IDisposable
{
    public string Path { get; }
    public FuseSession Session { get; }
    public IRawFileSystem FileSystem { get; }
    /// <summary>The directory a <see cref="LoopbackFs"/> mirrors (next to the mount point); null for other filesystems.</summary>
    public string? SourcePath { get; }
    private readonly string _dir;

    public MountedFs(IRawFileSystem fs, string options = "", SessionOptions? sessionOptions = null)
        : this(_ => fs, null, options, sessionOptions) { }

    /// <param name="makeFs">Builds the filesystem, given the source directory (created, 0755) when
    /// <paramref name="source"/> names one, else null.</param>
    private MountedFs(Func<string?, IRawFileSystem> makeFs, string? source, string options, SessionOptions? sessionOptions)
    {
        _dir = Directory.CreateTempSubdirectory("fastfuse-test-").FullName;
        try
        {
            // CreateTempSubdirectory makes it 0700: let tests acting as another uid (setfsuid) reach the mount.
            Posix.chmod(_dir, 0x1ED); // 0755
            Path = System.IO.Path.Combine(_dir, "mnt");
            Directory.CreateDirectory(Path);
            if (source is not null)
            {
                // LoopbackFs acts as the caller: the source must be reachable for other uids too. Explicit 0755
                // (the process umask may be 0 once a LoopbackFs exists), like MemFs's root.
                SourcePath = System.IO.Path.Combine(_dir, source);
                Directory.CreateDirectory(SourcePath);
                Posix.chmod(SourcePath, 0x1ED);
            }
            FileSystem = makeFs(SourcePath);
            var mo = MountOptions.Parse(string.IsNullOrEmpty(options) ? "fsname=fastfuse-test" : "fsname=fastfuse-test," + options);
            mo.Subtype ??= "test";
            Session = FuseSession.Mount(FileSystem, Path, mo, sessionOptions ?? new SessionOptions { Threads = 2 });
        }
        catch
        {
            (FileSystem as IDisposable)?.Dispose();
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        Session.Start();
        // The first stat waits for INIT; make sure the mount answers before the test starts.
        if (!Session.WaitForInit(TimeSpan.FromSeconds(10)))
        {
            Dispose();
            throw new TimeoutException("INIT did not arrive within 10 s");
        }
        if (sessionOptions?.Transport == TransportKind.FuseUring) WaitForRings();
        if (sessionOptions?.Transport == TransportKind.Uring && Session.TransportName != "uring")
        {
            Dispose();
            throw new InvalidOperationException($"asked for uring, served by {Session.TransportName} (see the log line above)");
        }
    }

    /// <summary>A fuse-uring mount must really be served by its rings: wait until the transport has set them up
    /// (it does so right after INIT) and fail if it fell back to /dev/fuse.</summary>
    private void WaitForRings()
    {
        bool settled = Session.Transport is Transport.FuseUring.FuseUringTransport t && t.Settled.Wait(TimeSpan.FromSeconds(10));
        if (!settled || Session.TransportName != "fuse-uring")
        {
            Dispose();
            throw new InvalidOperationException($"asked for fuse-uring, served by {Session.TransportName} (see the log line above)");
        }
    }

    /// <summary>The filesystem <paramref name="kind"/> mounted with <paramref name="options"/>; its cache timeouts
    /// (0 unless given), direct_io and passthrough are handed to the filesystem (see <see cref="MemFsOptionsFrom"/>,
    /// <see cref="LoopbackOptionsFrom"/>).</summary>
    public static MountedFs Create(FsKind kind, string options = "", SessionOptions? sessionOptions = null) => kind switch
    {
        FsKind.MemFs => MemFs(options, null, sessionOptions),
        FsKind.Loopback => Loopback(options, null, sessionOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A MemFs mounted with the given options (timeouts default to 0 so every call reaches the daemon... unless set).</summary>
    /// <remarks>The cache timeouts and direct_io of <paramref name="options"/> are read by the filesystem, not the kernel, so
    /// without <paramref name="memOptions"/> they are carried over to the MemFs: entry_timeout, attr_timeout and
    /// negative_timeout (0 when not given) and direct_io.</remarks>
    public static MountedFs MemFs(string options = "", MemFsOptions? memOptions = null, SessionOptions? sessionOptions = null) =>
        new(new MemFs(memOptions ?? MemFsOptionsFrom(options)), options, sessionOptions);

    /// <summary>A LoopbackFs mirroring a fresh empty directory "src" next to the mount point (removed on Dispose).</summary>
    /// <remarks>Like <see cref="MemFs"/>: without <paramref name="loopOptions"/>, the timeouts (0 when not given), direct_io
    /// and passthrough of <paramref name="options"/> are carried over. Note that constructing a LoopbackFs sets the
    /// umask of this whole process to 0.</remarks>
    public static MountedFs Loopback(string options = "", LoopbackOptions? loopOptions = null, SessionOptions? sessionOptions = null) =>
        new(src => new LoopbackFs(src!, loopOptions ?? LoopbackOptionsFrom(options)), "src", options, sessionOptions);

    /// <summary>MemFs settings from a mount option string: timeouts 0 unless given, direct_io, size, nr_inodes,
    /// writeback_cache, kernel_cache.</summary>
    public static MemFsOptions MemFsOptionsFrom(string options)
    {
        var (entry, attr, negative, mo) = TimeoutsFrom(options);
        return new MemFsOptions
        {
            EntryTimeout = entry, AttrTimeout = attr, NegativeTimeout = negative, DirectIo = mo.DirectIo,
            WritebackCache = mo.WritebackCache, KernelCache = mo.KernelCache,
            CapacityBytes = mo.Size is 0 ? long.MaxValue : mo.Size ?? 0, MaxInodes = mo.NrInodes is 0 ? long.MaxValue : mo.NrInodes ?? 0,
        };
    }

    /// <summary>LoopbackFs settings from a mount option string: timeouts 0 unless given, direct_io, passthrough,
    /// writeback_cache, kernel_cache, auto_cache.</summary>
    public static LoopbackOptions LoopbackOptionsFrom(string options)
    {
        var (entry, attr, negative, mo) = TimeoutsFrom(options);
        return new LoopbackOptions
        {
            EntryTimeout = entry, AttrTimeout = attr, NegativeTimeout = negative, DirectIo = mo.DirectIo, Passthrough = mo.Passthrough,
            WritebackCache = mo.WritebackCache, KernelCache = mo.KernelCache, AutoCache = mo.AutoCache,
        };
    }

    private static (TimeSpan Entry, TimeSpan Attr, TimeSpan Negative, MountOptions Parsed) TimeoutsFrom(string options)
    {
        var mo = MountOptions.Parse(options);
        bool Has(string key) => options.Split(',').Any(o => o.StartsWith(key + "=", StringComparison.Ordinal));
        TimeSpan Of(string key, double seconds) => Has(key) ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        return (Of("entry_timeout", mo.EntryTimeout), Of("attr_timeout", mo.AttrTimeout), Of("negative_timeout", mo.NegativeTimeout), mo);
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Runs <paramref name="action"/> on its own thread; if it has not finished within <paramref name="timeout"/>,
    /// aborts the FUSE connection (every call waiting for the daemon then returns ECONNABORTED) and fails the test, so
    /// a daemon that never answers fails one test instead of hanging the whole suite.</summary>
    public void Within(TimeSpan timeout, Action action)
    {
        ExceptionDispatchInfo? error = null;
        var t = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "mount-test-watchdog" };
        t.Start();
        if (!t.Join(timeout))
        {
            bool aborted = Session.MountHandle is { } h && Mounter.Abort(h.ConnectionId);
            t.Join(TimeSpan.FromSeconds(10));
            Assert.Fail($"the filesystem did not answer within {timeout.TotalSeconds:F0} s (a hung request; connection " +
                        (aborted ? "aborted)" : "could not be aborted)"));
        }
        error?.Throw();
    }

    public void Dispose()
    {
        try
        {
            int r = Session.Unmount();
            if (r != 0) Session.Unmount(lazy: true);
        }
        finally
        {
            Session.Dispose();
            (FileSystem as IDisposable)?.Dispose();
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
