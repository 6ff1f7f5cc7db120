using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Tests.Infrastructure;

/// <summary>
/// A filesystem mounted through the kernel for the length of a test (or a class fixture): a fresh directory
/// under /tmp, a session serving it on worker threads of this process, unmounted and removed on Dispose.
/// </summary>
public sealed class MountedFs : IDisposable
{
    public string Path { get; }
    public FuseSession Session { get; }
    public IRawFileSystem FileSystem { get; }
    private readonly string _dir;

    public MountedFs(IRawFileSystem fs, string options = "", SessionOptions? sessionOptions = null)
    {
        _dir = Directory.CreateTempSubdirectory("fastfuse-test-").FullName;
        // CreateTempSubdirectory makes it 0700: let tests acting as another uid (setfsuid) reach the mount.
        Posix.chmod(_dir, 0x1ED); // 0755
        Path = System.IO.Path.Combine(_dir, "mnt");
        Directory.CreateDirectory(Path);
        FileSystem = fs;
        var mo = MountOptions.Parse(string.IsNullOrEmpty(options) ? "fsname=fastfuse-test" : "fsname=fastfuse-test," + options);
        mo.Subtype ??= "test";
        Session = FuseSession.Mount(fs, Path, mo, sessionOptions ?? new SessionOptions { Threads = 2 });
        Session.Start();
        // The first stat waits for INIT; make sure the mount answers before the test starts.
        if (!Session.WaitForInit(TimeSpan.FromSeconds(10))) throw new TimeoutException("INIT did not arrive within 10 s");
    }

    /// <summary>A MemFs mounted with the given options (timeouts default to 0 so every call reaches the daemon... unless set).</summary>
    /// <remarks>The cache timeouts and direct_io of <paramref name="options"/> are read by the filesystem, not the kernel, so
    /// without <paramref name="memOptions"/> they are carried over to the MemFs: entry_timeout, attr_timeout and
    /// negative_timeout (0 when not given) and direct_io.</remarks>
    public static MountedFs MemFs(string options = "", MemFsOptions? memOptions = null, SessionOptions? sessionOptions = null) =>
        new(new MemFs(memOptions ?? MemFsOptionsFrom(options)), options, sessionOptions);

    /// <summary>MemFs settings from a mount option string: timeouts 0 unless given, direct_io.</summary>
    public static MemFsOptions MemFsOptionsFrom(string options)
    {
        var mo = MountOptions.Parse(options);
        bool Has(string key) => options.Split(',').Any(o => o.StartsWith(key + "=", StringComparison.Ordinal));
        return new MemFsOptions
        {
            EntryTimeout = Has("entry_timeout") ? TimeSpan.FromSeconds(mo.EntryTimeout) : TimeSpan.Zero,
            AttrTimeout = Has("attr_timeout") ? TimeSpan.FromSeconds(mo.AttrTimeout) : TimeSpan.Zero,
            NegativeTimeout = Has("negative_timeout") ? TimeSpan.FromSeconds(mo.NegativeTimeout) : TimeSpan.Zero,
            DirectIo = mo.DirectIo,
        };
    }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

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
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
