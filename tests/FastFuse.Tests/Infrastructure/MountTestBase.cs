using FastFuse.Session;

namespace FastFuse.Tests.Infrastructure;

/// <summary>
/// Base of a mount-test class that runs against every <see cref="FsKind"/>: the tests are written once, in an
/// abstract subclass of this, and run once per concrete subclass (<c>XxxTests_MemFs</c>, <c>XxxTests_Loopback</c>),
/// whose name shows which filesystem ran.
/// </summary>
public abstract class MountTestBase(FsKind kind)
{
    protected FsKind Kind { get; } = kind;
    protected bool IsMemFs => Kind == FsKind.MemFs;
    protected bool IsLoopback => Kind == FsKind.Loopback;

    /// <summary>The filesystem under test, mounted with <paramref name="options"/> (see <see cref="MountedFs.Create"/>).</summary>
    protected MountedFs Mount(string options = "", SessionOptions? sessionOptions = null) => MountedFs.Create(Kind, options, sessionOptions);
}
