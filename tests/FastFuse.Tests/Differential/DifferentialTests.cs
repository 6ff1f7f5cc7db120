using FastFuse.Filesystems;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastFuse.Tests.Differential;

/// <summary>The differential tests change the process umask and time themselves: they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DifferentialCollection
{
    public const string Name = "Differential (serial)";
}

/// <summary>
/// A seeded random sequence of operations applied to a plain directory (the reference) and, through a mount, to
/// the filesystem under test; every result and errno and then the two trees must agree.
/// <para>Reference: a fresh directory under /tmp, which on this machine is ext4 (the root filesystem,
/// /dev/vda, relatime): <see cref="ReferenceFsType"/> checks it, because on tmpfs or overlayfs xattrs and
/// fallocate modes behave differently and the comparison would not mean "ext4-like". The LoopbackFs source is
/// another fresh directory on that same filesystem.</para>
/// </summary>
public abstract class DifferentialTestsBase(ITestOutputHelper output, TransportKind transport, bool writeback = false)
{
    public const int Seed = 20261125;
    public const int OpCount = 10_000;
    /// <summary>Ops per run: <see cref="OpCount"/>, or 3,000 with writeback caching (one op per 4 ms clock tick).</summary>
    private int Ops => writeback ? 3_000 : OpCount;
    private const long Ext4Magic = 0xEF53;

    private SessionOptions Session() => new() { Threads = 2, Transport = transport };

    private static string ReferenceFsType(string dir) => Posix.Statfs(dir).Type == Ext4Magic ? "ext4" : $"0x{Posix.Statfs(dir).Type:x}";

    private DiffReport RunAgainst(string name, Func<string, MountedFs> mount)
    {
        var work = Directory.CreateTempSubdirectory("fastfuse-diff-").FullName;
        try
        {
            string reference = Path.Combine(work, "ref");
            string source = Path.Combine(work, "src");
            Directory.CreateDirectory(reference);
            Directory.CreateDirectory(source);
            Posix.chmod(work, 0x1ED);
            Posix.chmod(reference, 0x1ED);
            Posix.chmod(source, 0x1ED);
            string fsType = ReferenceFsType(reference);
            Assert.True(fsType == "ext4", $"the reference directory {reference} is on {fsType}, not ext4: the comparison would not be ext4-like");

            using var mounted = mount(source);
            // LoopbackFs sets the process umask to 0 (FUSE_DONT_MASK); fix one for the run, the same for both trees.
            uint oldUmask = Posix.umask(0x12);
            try
            {
                // With writeback caching each op waits for a new tick of the kernel's clock (TreeExecutor): fewer ops.
                var report = new DifferentialRunner(reference, mounted.Path, Seed) { OneOpPerClockTick = writeback, SnapshotEvery = writeback ? 300 : 1000 }
                    .Run(Ops);
                // The test output gets every kept difference; the console and the assertion message the first 50.
                output.WriteLine(report.Summary(name));
                foreach (var d in report.Differences) output.WriteLine(d);
                Console.WriteLine(report.Message(name));
                return report;
            }
            finally { Posix.umask(oldUmask); }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [MountFact]
    public void MemFs_MatchesExt4_OverSeededRandomOps()
    {
        var report = RunAgainst("MemFs", _ => MountedFs.MemFs(writeback ? "writeback_cache" : "", sessionOptions: Session()));
        Assert.True(report.Ops >= Ops);
        Assert.True(report.TotalDifferences == 0, report.Message("MemFs"));
    }

    [MountFact]
    public void LoopbackFs_MatchesExt4_OverSeededRandomOps()
    {
        LoopbackFs? fs = null;
        try
        {
            var report = RunAgainst("LoopbackFs", src => new MountedFs(fs = new LoopbackFs(src, new LoopbackOptions
            {
                EntryTimeout = TimeSpan.Zero, AttrTimeout = TimeSpan.Zero, NegativeTimeout = TimeSpan.Zero, WritebackCache = writeback,
            }), writeback ? "writeback_cache" : "", sessionOptions: Session()));
            Assert.True(report.Ops >= Ops);
            Assert.True(report.TotalDifferences == 0, report.Message("LoopbackFs"));
        }
        finally { fs?.Dispose(); }
    }
}

/// <summary>The differential tests on the /dev/fuse transport.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests(ITestOutputHelper output) : DifferentialTestsBase(output, TransportKind.DevFuse);

/// <summary>The differential tests on the kernel's FUSE over io_uring.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests_FuseUring(ITestOutputHelper output) : DifferentialTestsBase(output, TransportKind.FuseUring);

[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests_Uring(ITestOutputHelper output) : DifferentialTestsBase(output, TransportKind.Uring);

/// <summary>The differential tests with writeback caching: the kernel holds writes, times and sizes, and sends them later.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests_Writeback(ITestOutputHelper output) : DifferentialTestsBase(output, TransportKind.DevFuse, writeback: true);
