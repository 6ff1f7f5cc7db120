using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Differential;

/// <summary>
/// The differential machinery checked against itself, without a mount: two plain ext4 directories must agree
/// (so the normalisations hold: timestamps, listxattr order, readdir order), and a planted difference must be
/// found (so a zero from the real runs means something).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class RunnerSelfTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("fastfuse-diffself-").FullName;
    private string A => Path.Combine(_work, "a");
    private string B => Path.Combine(_work, "b");

    public RunnerSelfTests()
    {
        Directory.CreateDirectory(A);
        Directory.CreateDirectory(B);
    }

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void TwoPlainDirectories_Agree()
    {
        var report = new DifferentialRunner(A, B, DifferentialTests.Seed) { SnapshotEvery = 500 }.Run(2000);
        Assert.True(report.TotalDifferences == 0, report.Message("ext4 vs ext4"));
        // The stream exercises what it claims to: every kind of op succeeded at least once.
        foreach (OpKind k in Enum.GetValues<OpKind>())
            Assert.True(report.OkCounts.GetValueOrDefault(k) > 0, $"{k} never succeeded: {report.Summary("ext4 vs ext4")}");
    }

    [Fact]
    public void APlantedDifference_IsFound()
    {
        Posix.WriteFile(Path.Combine(B, "planted"), "x"u8);
        Directory.CreateDirectory(Path.Combine(B, "c")); // the target of "../c" symlinks: results through it differ too
        var report = new DifferentialRunner(A, B, DifferentialTests.Seed) { SnapshotEvery = 500 }.Run(2000);
        Assert.Contains(report.Differences, d => d.Contains("planted: extra", StringComparison.Ordinal));
        Assert.Contains(report.Differences, d => d.Contains("c: extra", StringComparison.Ordinal));
    }

    [Fact]
    public void TheStream_DependsOnlyOnTheSeed()
    {
        var x = new OpGenerator(7);
        var y = new OpGenerator(7);
        for (int i = 0; i < 1000; i++) Assert.Equal(x.Next().Describe(), y.Next().Describe());
        Assert.Equal(40, OpGenerator.AllPaths().Count());
    }
}
