using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>
/// The detached daemon (fastfuse without -f): started from anywhere, even with no environment at all, it returns
/// once the mount answers and keeps nothing of its caller: not the terminal session, not the standard streams, not
/// other inherited descriptors, not the working directory.
/// </summary>
public sealed class DaemonTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    /// <summary>The one background process serving <paramref name="mnt"/>, checked to be a live daemon.</summary>
    private static int Daemon(TempMountpoint mnt)
    {
        var pids = Mounts.PidsWithArg(mnt.Path).Where(Mounts.IsAlive).ToList();
        Assert.True(pids.Count == 1, $"expected one daemon for {mnt.Path}, found [{string.Join(", ", pids)}]");
        return pids[0];
    }

    private static void UnmountAndWaitForExit(TempMountpoint mnt, int daemon)
    {
        var r = Command.Run("/usr/bin/umount", new[] { mnt.Path }, Quick);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(daemon), TimeSpan.FromSeconds(20)), $"daemon {daemon} still runs after umount");
    }

    private static void Cleanup(TempMountpoint mnt)
    {
        Mounts.ForceUnmount(mnt.Path);
        foreach (int pid in Mounts.PidsWithArg(mnt.Path)) FastFuseProcess.Kill(pid, FastFuseProcess.SIGKILL);
    }

    [MountFact]
    public void WithAnEmptyEnvironment_NoPath_ItDetachesAndServes()
    {
        // What mount.fuse3 and systemd give a filesystem: no PATH. Detaching used to run `setsid` through PATH.
        using var mnt = new TempMountpoint();
        try
        {
            var r = Command.Run(FastFuseBinary.Executable, new[] { "memfs", mnt.Path }, Quick, clearEnv: true);
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Empty(r.Stderr);
            Assert.Empty(r.Stdout);
            Assert.True(Mounts.IsMounted(mnt.Path), "nothing mounted when the command returned");
            int daemon = Daemon(mnt);
            Mounts.Io(() => File.WriteAllText(mnt["env"], "no PATH needed"), "write");
            Assert.Equal("no PATH needed", Mounts.Io(() => File.ReadAllText(mnt["env"]), "read"));
            UnmountAndWaitForExit(mnt, daemon);
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void ItReturns_AndHoldsNoneOfTheCallersStreamsDescriptorsOrDirectory()
    {
        using var mnt = new TempMountpoint();
        string marker = Path.Combine(mnt.Root, "caller-fd-7");
        string cwd = Path.Combine(mnt.Root, "cwd");
        Directory.CreateDirectory(cwd);
        try
        {
            // stdout and stderr into a pipe that `cat` reads to its end, an extra descriptor (7), a relative
            // mountpoint from a working directory of its own: the command must return (the pipe closes only
            // when no process holds it) with the mount up.
            var r = Command.Run("/bin/sh", new[] { "-c", "exec 7>>\"$2\"; \"$1\" memfs ../mnt 2>&1 | cat", "sh", FastFuseBinary.Executable, marker },
                TimeSpan.FromSeconds(20), cwd: cwd);
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Empty(r.Stdout);
            Assert.True(Mounts.IsMounted(mnt.Path), "nothing mounted");
            int daemon = Mounts.PidsWithArg("../mnt").Single(Mounts.IsAlive);

            foreach (int fd in new[] { 0, 1, 2 })
                Assert.Equal("/dev/null", new FileInfo($"/proc/{daemon}/fd/{fd}").LinkTarget);
            var targets = Directory.EnumerateFileSystemEntries($"/proc/{daemon}/fd").Select(f => new FileInfo(f).LinkTarget).ToList();
            Assert.DoesNotContain(marker, targets);
            Assert.Equal("/", new DirectoryInfo($"/proc/{daemon}/cwd").LinkTarget);
            // A session of its own (session id = its pid), and no controlling terminal (tty_nr 0).
            var stat = File.ReadAllText($"/proc/{daemon}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(daemon.ToString(), fields[3]);          // field 6: session
            Assert.Equal("0", fields[4]);                        // field 7: tty_nr

            Mounts.Io(() => File.WriteAllText(mnt["f"], "detached"), "write");
            Assert.Equal("detached", Mounts.Io(() => File.ReadAllText(mnt["f"]), "read"));
            UnmountAndWaitForExit(mnt, daemon);
        }
        finally
        {
            Cleanup(mnt);
            foreach (int pid in Mounts.PidsWithArg("../mnt")) if (Mounts.IsAlive(pid)) FastFuseProcess.Kill(pid, FastFuseProcess.SIGKILL);
        }
    }

    [MountFact]
    public void Log_GetsWhatTheDaemonPrints_TheStatsAtExit()
    {
        using var mnt = new TempMountpoint();
        string log = Path.Combine(mnt.Root, "daemon.log");
        try
        {
            using (var parent = FastFuseProcess.Run(Quick, "memfs", mnt.Path, "--log", log, "--stats"))
            {
                Assert.True(parent.ExitCode == 0, parent.AllOutput);
                Assert.Empty(parent.Stderr);
            }
            int daemon = Daemon(mnt);
            Mounts.Io(() => File.WriteAllText(mnt["logged"], "x"), "write");
            UnmountAndWaitForExit(mnt, daemon);
            var lines = File.ReadAllLines(log);
            Assert.Contains(lines, l => l.StartsWith("requests: total="));
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^WRITE\s+[1-9]"));
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [Theory]
    [InlineData(new[] { "memfs", "MNT", "--stats" }, "--stats prints when the daemon exits")]
    [InlineData(new[] { "memfs", "MNT", "--log", "/nonexistent-dir/fastfuse.log" }, "cannot open the log file /nonexistent-dir/fastfuse.log")]
    [InlineData(new[] { "memfs", "MNT", "--log" }, "--log needs a file name")]
    public void BadDaemonArguments_OneLineOnStderr_NonZeroExit_NothingMounted(string[] template, string expected)
    {
        using var mnt = new TempMountpoint();
        var args = template.Select(a => a == "MNT" ? mnt.Path : a).ToArray();
        using var p = FastFuseProcess.Run(Quick, args);
        Assert.NotEqual(0, p.ExitCode);
        var line = Assert.Single(p.Stderr);
        Assert.StartsWith("fastfuse: ", line);
        Assert.Contains(expected, line);
        Assert.Empty(p.Stdout);
        Assert.False(Mounts.IsMounted(mnt.Path));
    }
}
