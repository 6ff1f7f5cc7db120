using System.Text.RegularExpressions;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>The <c>fastfuse</c> command, run as users run it.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MountWait = TimeSpan.FromSeconds(20);

    // ------------------------------------------------------------------ no mount

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_PrintsUsage_AndExits0(string flag)
    {
        using var p = FastFuseProcess.Run(Quick, flag);
        Assert.Equal(0, p.ExitCode);
        Assert.StartsWith("usage: fastfuse FILESYSTEM", p.Stdout.FirstOrDefault() ?? "");
        Assert.Contains(p.Stdout, l => l.Contains("--threads"));
        Assert.Empty(p.Stderr);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("-V")]
    public void Version_PrintsAVersion(string flag)
    {
        using var p = FastFuseProcess.Run(Quick, flag);
        Assert.Equal(0, p.ExitCode);
        var line = Assert.Single(p.Stdout);
        Assert.Matches(new Regex(@"^fastfuse \d+\.\d+\.\d+"), line);
        Assert.Empty(p.Stderr);
    }

    [Theory]
    [InlineData(new[] { "memfs", "MNT", "-o", "bogus" }, "unknown mount option 'bogus'")]
    [InlineData(new[] { "memfs", "MNT", "-f", "-o", "ro=1" }, "takes no value")]
    [InlineData(new[] { "memfs", "MNT", "--frobnicate" }, "unknown option '--frobnicate'")]
    [InlineData(new[] { "memfs" }, "needs a MOUNTPOINT")]
    [InlineData(new[] { "zfs", "MNT" }, "unknown filesystem 'zfs'")]
    [InlineData(new[] { "memfs", "MNT", "--threads", "0" }, "--threads")]
    [InlineData(new[] { "memfs", "MNT", "-o", "writeback_cache,passthrough" }, "writeback_cache and passthrough cannot be used together")]
    [InlineData(new[] { "hello", "MNT", "-o", "rw,kernel_cache" }, "mount option 'kernel_cache' does not apply to hello")]
    [InlineData(new[] { "memfs", "MNT", "-o", "auto_cache" }, "mount option 'auto_cache' is for loopback only")]
    [InlineData(new[] { "memfs", "MNT", "-o", "noforget" }, "mount option 'noforget' is libfuse's high-level path API's")]
    [InlineData(new[] { "memfs", "MNT", "-o", "remember=10" }, "mount option 'remember' is libfuse's high-level path API's")]
    [InlineData(new[] { "memfs", "MNT", "-s", "--threads", "2" }, "-s (one thread) contradicts --threads 2")]
    [InlineData(new[] { "memfs", "MNT", "-o", "passthrough" }, "'passthrough' is for loopback only")]
    [InlineData(new[] { "hello", "MNT", "-o", "attr_timeout=0" }, "'attr_timeout' does not apply to hello")]
    [InlineData(new string[0], "no filesystem")]
    public void BadArguments_OneLineOnStderr_NonZeroExit_NothingMounted(string[] template, string expected)
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]   // through the detaching parent: the child's error still reaches the caller, once
    public void MissingMountpoint_OneLine_NonZero(bool foreground)
    {
        using var mnt = new TempMountpoint();
        string missing = Path.Combine(mnt.Root, "does-not-exist");
        using var p = FastFuseProcess.Run(Quick, foreground ? new[] { "memfs", missing, "-f" } : new[] { "memfs", missing });
        Assert.NotEqual(0, p.ExitCode);
        var line = Assert.Single(p.Stderr);
        Assert.Contains(missing, line);
        Assert.Contains("does not exist", line);
        Assert.False(Mounts.IsMounted(missing));
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void FileInsteadOfDirectory_OneLine_NonZero()
    {
        using var mnt = new TempMountpoint();
        string file = Path.Combine(mnt.Root, "plain-file");
        File.WriteAllText(file, "x");
        using var p = FastFuseProcess.Run(Quick, "memfs", file, "-f");
        Assert.NotEqual(0, p.ExitCode);
        var line = Assert.Single(p.Stderr);
        Assert.Contains("not a directory", line);
        Assert.False(Mounts.IsMounted(file));
        Assert.Equal("x", File.ReadAllText(file));
    }

    // ------------------------------------------------------------------ mounting

    /// <summary>Start <c>fastfuse memfs MNT -f ...</c> and wait until the mount shows in mountinfo.</summary>
    internal static FastFuseProcess StartForeground(TempMountpoint mnt, params string[] extra)
    {
        var p = FastFuseProcess.Start(new[] { "memfs", mnt.Path, "-f" }.Concat(extra).ToArray());
        if (!Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, MountWait) || !Mounts.IsMounted(mnt.Path))
        {
            string output = p.AllOutput;
            p.Dispose();
            throw new Xunit.Sdk.XunitException($"memfs did not mount at {mnt.Path}\n{output}");
        }
        return p;
    }

    internal static void StopWithSigint(FastFuseProcess p, TempMountpoint mnt)
    {
        p.Signal(FastFuseProcess.SIGINT);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "fastfuse did not exit within 20 s of SIGINT\n" + p.AllOutput);
        Assert.True(0 == p.ExitCode, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.False(Mounts.IsMounted(mnt.Path), "still mounted after SIGINT");
    }

    [MountFact]
    public void Foreground_ServesFiles_AndSigintUnmountsAndExits0()
    {
        using var mnt = new TempMountpoint();
        using var p = StartForeground(mnt);
        try
        {
            Assert.Equal("fuse.memfs", Mounts.TypeAt(mnt.Path));
            var data = new byte[100_000];
            Random.Shared.NextBytes(data);
            Mounts.Io(() => File.WriteAllBytes(mnt["blob.bin"], data), "write");
            Mounts.Io(() => Directory.CreateDirectory(mnt["sub"]), "mkdir");
            Mounts.Io(() => File.WriteAllText(mnt["sub/hello.txt"], "hello through the kernel"), "write small");
            Assert.Equal(data, Mounts.Io(() => File.ReadAllBytes(mnt["blob.bin"]), "read"));
            Assert.Equal("hello through the kernel", Mounts.Io(() => File.ReadAllText(mnt["sub/hello.txt"]), "read small"));
            Assert.Equal(new[] { "blob.bin", "sub" },
                Mounts.Io(() => Directory.EnumerateFileSystemEntries(mnt.Path).Select(Path.GetFileName).Order().ToArray(), "readdir"));

            StopWithSigint(p, mnt);
            Assert.False(File.Exists(mnt["blob.bin"]));               // the directory underneath is empty again
            Assert.DoesNotContain(p.Stderr, l => l.Contains("error"));
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    /// <summary>The default type is fuse.FILESYSTEM; subtype=NAME chooses another; an empty subtype= gives the plain "fuse"
    /// that tools matching on type fuse expect (as libfuse does when no subtype is set).</summary>
    [MountTheory]
    [InlineData(null, "fuse.memfs")]
    [InlineData("subtype=mine", "fuse.mine")]
    [InlineData("subtype=", "fuse")]
    [InlineData("subtype=,fusermount", "fuse")]
    public void Subtype_DefaultChosenAndEmpty(string? options, string type)
    {
        using var mnt = new TempMountpoint();
        using var p = options is null ? StartForeground(mnt) : StartForeground(mnt, "-o", options);
        try
        {
            Assert.Equal(type, Mounts.TypeAt(mnt.Path));
            Mounts.Io(() => File.WriteAllText(mnt["f"], "x"), "write");
            Assert.Equal("x", Mounts.Io(() => File.ReadAllText(mnt["f"]), "read"));
            StopWithSigint(p, mnt);
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void Sigterm_AlsoUnmountsAndExits0()
    {
        using var mnt = new TempMountpoint();
        using var p = StartForeground(mnt);
        try
        {
            Mounts.Io(() => File.WriteAllText(mnt["f"], "x"), "write");
            p.Signal(FastFuseProcess.SIGTERM);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), p.AllOutput);
            Assert.Equal(0, p.ExitCode);
            Assert.False(Mounts.IsMounted(mnt.Path));
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void MountpointInUse_OneLine_NonZero_AndTheFirstMountStays()
    {
        using var mnt = new TempMountpoint();
        using var first = StartForeground(mnt);
        try
        {
            Mounts.Io(() => File.WriteAllText(mnt["mine"], "first"), "write");
            using var second = FastFuseProcess.Run(Quick, "memfs", mnt.Path, "-f");
            Assert.NotEqual(0, second.ExitCode);
            var line = Assert.Single(second.Stderr);
            Assert.Contains("already in use", line);
            Assert.Equal(1, Mounts.CountAt(mnt.Path));                   // nothing stacked on top
            Assert.Equal("first", Mounts.Io(() => File.ReadAllText(mnt["mine"]), "read"));
            Assert.False(first.HasExited);
            StopWithSigint(first, mnt);
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void Debug_PrintsRequestAndReplyLines()
    {
        using var mnt = new TempMountpoint();
        using var p = StartForeground(mnt, "-d");
        try
        {
            Assert.False(Mounts.Io(() => File.Exists(mnt["probe-name"]), "lookup"));
            var rx = new Regex(@"rx (\d+): LOOKUP n1 \[""probe-name""\]");
            Assert.True(p.WaitForStderr(l => rx.IsMatch(l), TimeSpan.FromSeconds(10)), "no rx LOOKUP line\n" + p.AllOutput);
            string unique = rx.Match(p.Stderr.First(l => rx.IsMatch(l))).Groups[1].Value;
            Assert.True(p.WaitForStderr(l => l.Contains($"tx {unique}: "), TimeSpan.FromSeconds(10)), $"no tx {unique} line\n" + p.AllOutput);
            Assert.Contains(p.Stderr, l => Regex.IsMatch(l, @"rx \d+: INIT n0"));
            StopWithSigint(p, mnt);
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void DashODebug_IsDashD_ForegroundWithTheTrace()
    {
        using var mnt = new TempMountpoint();
        using var p = FastFuseProcess.Start("memfs", mnt.Path, "-o", "debug");       // no -f: debug implies it
        try
        {
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, MountWait) && !p.HasExited,
                "fastfuse -o debug did not stay in the foreground with the mount\n" + p.AllOutput);
            Assert.False(Mounts.Io(() => File.Exists(mnt["probe-o-debug"]), "lookup"));
            Assert.True(p.WaitForStderr(l => l.Contains("LOOKUP n1 [\"probe-o-debug\"]"), TimeSpan.FromSeconds(10)), "no rx LOOKUP line\n" + p.AllOutput);
            StopWithSigint(p, mnt);
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountTheory]
    [InlineData(new[] { "-s" }, 1)]
    [InlineData(new[] { "--threads", "3" }, 3)]
    public void DashS_ServesWithOneWorker(string[] flags, int workers)
    {
        using var mnt = new TempMountpoint();
        // The /dev/fuse transport: its workers each hold an fd (fuse-uring serves from per-CPU rings instead).
        using var p = StartForeground(mnt, [.. flags, "-o", "transport=devfuse"]);
        try
        {
            Mounts.Io(() => File.WriteAllText(mnt["f"], "one thread"), "write");
            Assert.Equal("one thread", Mounts.Io(() => File.ReadAllText(mnt["f"]), "read"));
            // Each worker reads its own /dev/fuse fd (the first the mount's, the others clones made after INIT).
            Assert.True(Mounts.WaitUntil(() => DevFuseFds(p.Pid) == workers, TimeSpan.FromSeconds(5)),
                $"{DevFuseFds(p.Pid)} /dev/fuse fds open, expected {workers}");
            StopWithSigint(p, mnt);
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    private static int DevFuseFds(int pid) =>
        Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count(fd =>
        {
            try { return new FileInfo(fd).LinkTarget == "/dev/fuse"; }
            catch (IOException) { return false; }
        });

    [MountFact]
    public void Stats_PrintsPerOpcodeRowsAndReplyClassesAtExit()
    {
        using var mnt = new TempMountpoint();
        using var p = StartForeground(mnt, "--stats", "--threads", "2");
        try
        {
            Assert.False(Mounts.Io(() => File.Exists(mnt["nothing-here"]), "lookup"));
            Mounts.Io(() => File.WriteAllText(mnt["written"], "abc"), "write");
            Assert.Empty(p.Stdout);                                         // nothing until exit
            StopWithSigint(p, mnt);
            var stdout = p.Stdout;
            Assert.Contains(stdout, l => Regex.IsMatch(l, @"^LOOKUP\s+[1-9]\d*\s+\d+"));
            Assert.Contains(stdout, l => Regex.IsMatch(l, @"^WRITE\s+[1-9]\d*\s+0\s"));
            Assert.Contains(stdout, l => Regex.IsMatch(l, @"^INIT\s+1\s+0\s"));
            Assert.Contains(stdout, l => l.StartsWith("replies: dropped-stale=") && l.Contains("other-errors=0"));
            Assert.Contains(stdout, l => l.StartsWith("requests: total="));
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void Default_DetachesOnceMounted_AndTheDaemonExitsAfterUmount()
    {
        using var mnt = new TempMountpoint();
        var daemons = new List<int>();
        try
        {
            using (var parent = FastFuseProcess.Run(Quick, "memfs", mnt.Path))
            {
                Assert.True(parent.ExitCode == 0, parent.AllOutput);
                Assert.Empty(parent.Stderr);
                Assert.Empty(parent.Stdout);                                // "ready" is between parent and child
            }
            // The command returned with the filesystem already mounted.
            Assert.True(Mounts.IsMounted(mnt.Path));
            daemons = Mounts.PidsWithArg(mnt.Path);
            Assert.True(daemons.Count == 1, $"expected one background process, found [{string.Join(", ", daemons)}]");
            int daemon = daemons[0];
            Assert.True(Mounts.IsAlive(daemon));

            Mounts.Io(() => File.WriteAllText(mnt["bg.txt"], "served in the background"), "write");
            Assert.Equal("served in the background", Mounts.Io(() => File.ReadAllText(mnt["bg.txt"]), "read"));

            using (var umount = System.Diagnostics.Process.Start("umount", mnt.Path))
                Assert.True(umount.WaitForExit(20_000) && umount.ExitCode == 0, "umount failed");
            Assert.False(Mounts.IsMounted(mnt.Path));
            Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(daemon), TimeSpan.FromSeconds(20)),
                $"background process {daemon} still runs 20 s after umount");
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
            foreach (int pid in daemons)
                if (Mounts.IsAlive(pid)) FastFuseProcess.Kill(pid, FastFuseProcess.SIGKILL);
        }
    }
}
