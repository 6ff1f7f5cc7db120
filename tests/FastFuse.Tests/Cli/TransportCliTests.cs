using System.Text.RegularExpressions;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>-o transport=fuse-uring through the binary: --stats names the transport and counts each queue's requests.</summary>
public sealed class TransportCliTests_FuseUring
{
    [MountFact]
    public void Stats_NameTheTransport_AndCountTheRequestsOfEachQueue()
    {
        using var mnt = new TempMountpoint();
        using var p = CliTests.StartForeground(mnt, "--stats", "-o", "transport=fuse-uring,uring_depth=4,attr_timeout=0,entry_timeout=0,negative_timeout=0");
        try
        {
            for (int i = 0; i < 200; i++) Mounts.Io(() => File.Exists(mnt["nothing-here"]), "lookup");
            Mounts.Io(() => File.WriteAllText(mnt["written"], "abc"), "write");
            CliTests.StopWithSigint(p, mnt);
            var stdout = p.Stdout;
            Assert.Contains("transport: fuse-uring", stdout);
            var loops = stdout.Single(l => l.StartsWith("loops:", StringComparison.Ordinal));
            long queued = Regex.Matches(loops, @"queue-\d+=(\d+)").Sum(m => long.Parse(m.Groups[1].Value));
            Assert.True(queued >= 200, $"the queues served {queued} requests: {loops}");
            Assert.Contains(stdout, l => l.StartsWith("syscalls:", StringComparison.Ordinal) && !l.Contains("io_uring_enter=0 "));
            Assert.DoesNotContain(p.Stderr, l => l.Contains("cannot be used"));
        }
        finally { Mounts.ForceUnmount(mnt.Path); }
    }
}

/// <summary>
/// When fuse-uring cannot be used the session says why in one line and serves through /dev/fuse. The module
/// parameter is switched off for the test (as root) and put back: serial, so no fuse-uring test runs meanwhile.
/// </summary>
[Collection(Robustness.RobustnessCollection.Name)]
public sealed class TransportFallbackTests
{
    private const string EnableUring = "/sys/module/fuse/parameters/enable_uring";

    [MountFact]
    public void FuseUring_WithEnableUringOff_FallsBackToDevFuse_WithOneLine()
    {
        bool toggled = false;
        string? was = File.Exists(EnableUring) ? File.ReadAllText(EnableUring).Trim() : null;
        if (was == "Y" && Environment.UserName == "root") { File.WriteAllText(EnableUring, "N"); toggled = true; }
        try
        {
            using var mnt = new TempMountpoint();
            using var p = CliTests.StartForeground(mnt, "--stats", "-o", "transport=fuse-uring");
            try
            {
                Mounts.Io(() => File.WriteAllText(mnt["f"], "abc"), "write");
                Assert.Equal("abc", Mounts.Io(() => File.ReadAllText(mnt["f"]), "read"));
                CliTests.StopWithSigint(p, mnt);
                var why = p.Stderr.Where(l => l.Contains("fuse-uring cannot be used")).ToList();
                Assert.True(why.Count == 1, "expected one line saying why:\n" + p.AllOutput);
                if (toggled || was is not null) Assert.Contains("enable_uring", why[0]);
                Assert.Contains("transport: devfuse", p.Stdout);
            }
            finally { Mounts.ForceUnmount(mnt.Path); }
        }
        finally
        {
            if (toggled) File.WriteAllText(EnableUring, was!);
        }
    }

    [Theory]
    [InlineData("transport=bogus", "transport must be auto, devfuse, uring or fuse-uring")]
    [InlineData("uring_depth=0", "uring_depth")]
    [InlineData("uring_depth=x", "uring_depth")]
    public void BadTransportOptions_AreOneErrorLine(string option, string expected)
    {
        using var mnt = new TempMountpoint();
        using var p = FastFuseProcess.Run(TimeSpan.FromSeconds(30), "memfs", mnt.Path, "-f", "-o", option);
        Assert.NotEqual(0, p.ExitCode);
        Assert.Single(p.Stderr);
        Assert.Contains(expected, p.Stderr[0]);
        Assert.False(Mounts.IsMounted(mnt.Path));
    }
}
