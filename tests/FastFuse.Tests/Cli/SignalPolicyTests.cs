using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>
/// fastfuse answers SIGINT and SIGTERM even when it was started with them ignored, and the tests' own children
/// start with them at their default however the test run itself was started.
/// </summary>
public sealed class SignalPolicyTests
{
    [Fact]
    public void ChildrenOfTheTests_StartWithSigintAndSigtermAtTheirDefault()
    {
        // cat reports its own dispositions; a run started with SIGINT ignored fails here without ChildSignals.
        var r = Command.Run("/bin/cat", new[] { "/proc/self/status" }, TimeSpan.FromSeconds(30));
        var line = r.Stdout.First(l => l.StartsWith("SigIgn:"));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        Assert.True((mask & (1UL << (ChildSignals.SIGINT - 1))) == 0, $"a child starts with SIGINT ignored ({line})");
        Assert.True((mask & (1UL << (ChildSignals.SIGTERM - 1))) == 0, $"a child starts with SIGTERM ignored ({line})");
        Assert.False(ChildSignals.IsIgnored(ChildSignals.SIGINT));
    }

    [MountTheory]
    [InlineData(FastFuseProcess.SIGINT)]
    [InlineData(FastFuseProcess.SIGTERM)]
    public void StartedWithTheSignalIgnored_FastfuseStillUnmountsOnIt_AndExits0(int sig)
    {
        using var mnt = new TempMountpoint();
        // env(1) sets the dispositions and execs fastfuse: same process, SIGINT and SIGTERM ignored at start.
        using var p = FastFuseProcess.StartVia(new[] { "/usr/bin/env", "--ignore-signal=INT,TERM" }, "memfs", mnt.Path, "-f");
        try
        {
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, TimeSpan.FromSeconds(20)) && !p.HasExited,
                "fastfuse did not mount\n" + p.AllOutput);
            Mounts.Io(() => File.WriteAllText(mnt["f"], "x"), "write");
            Assert.False(ChildSignals.ProcessIgnores(p.Pid, sig), "fastfuse kept the inherited SIG_IGN");
            p.Signal(sig);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), $"fastfuse did not exit within 20 s of signal {sig}\n" + p.AllOutput);
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{p.AllOutput}");
            Assert.False(Mounts.IsMounted(mnt.Path), "still mounted");
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }
}
