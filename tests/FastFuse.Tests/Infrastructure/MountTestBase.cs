using FastFuse.Session;

namespace FastFuse.Tests.Infrastructure;

/// <summary>
/// Base of a mount-test class that runs against every <see cref="FsKind"/> and transport: the tests are written
/// once, in an abstract subclass of this, and run once per concrete subclass (<c>XxxTests_MemFs</c>,
/// <c>XxxTests_Loopback</c>, <c>XxxTests_MemFs_FuseUring</c>…), whose name shows which filesystem and transport ran.
/// A class whose name holds "FuseUring" is skipped, with the kernel's reason, where fuse-uring cannot be used; one
/// whose name ends in "_Writeback" mounts every filesystem with writeback_cache (the same tests, the kernel caching
/// writes).
/// </summary>
public abstract class MountTestBase(FsKind kind, TransportKind transport = TransportKind.DevFuse)
{
    protected FsKind Kind { get; } = kind;
    protected TransportKind Transport { get; } = transport;
    protected bool IsMemFs => Kind == FsKind.MemFs;
    protected bool IsLoopback => Kind == FsKind.Loopback;
    /// <summary>This class runs its tests with writeback caching (its name ends in "_Writeback").</summary>
    protected bool Writeback => GetType().Name.EndsWith("_Writeback", StringComparison.Ordinal);

    /// <summary>The filesystem under test, mounted with <paramref name="options"/> on this class's transport (see
    /// <see cref="MountedFs.Create"/>). A fuse-uring mount that fell back to /dev/fuse fails the test.</summary>
    protected MountedFs Mount(string options = "", SessionOptions? sessionOptions = null)
    {
        sessionOptions ??= new SessionOptions { Threads = 2 };
        sessionOptions.Transport = Transport;
        if (Writeback) options = options.Length == 0 ? "writeback_cache" : options + ",writeback_cache";
        return MountedFs.Create(Kind, options, sessionOptions);
    }
}
