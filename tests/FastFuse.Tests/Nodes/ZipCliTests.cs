using System.Diagnostics;
using FastFuse.Cli;
using FastFuse.Kernel;
using FastFuse.Mounting;
using FastFuse.Tests.Cli;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Nodes;

/// <summary><c>fastfuse zip ARCHIVE MOUNTPOINT</c>, run as users run it (the binary: see <see cref="FastFuseBinary"/>).</summary>
public sealed class ZipCliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MountWait = TimeSpan.FromSeconds(20);

    private static FastFuseProcess StartForeground(string archive, string mnt)
    {
        var p = FastFuseProcess.Start("zip", archive, mnt, "-f");
        if (!Mounts.WaitUntil(() => Mounts.IsMounted(mnt) || p.HasExited, MountWait) || !Mounts.IsMounted(mnt))
        {
            string output = p.AllOutput;
            p.Dispose();
            throw new Xunit.Sdk.XunitException($"zip did not mount at {mnt}\n{output}");
        }
        return p;
    }

    [MountFact]
    public void Foreground_ServesTheWholeArchive_ReadOnly_AndSigintUnmounts()
    {
        using var a = new ZipTestArchive();
        using var mnt = new TempMountpoint();
        using var p = StartForeground(a.Path, mnt.Path);
        try
        {
            Assert.Equal("fuse.zip", Mounts.TypeAt(mnt.Path));
            Mounts.Io(() => ZipMountCheck.TreeAndBytes(mnt.Path, a), "compare the tree and every file");
            var x = a.Read();
            Mounts.Io(() => ZipMountCheck.RandomReads(mnt["big/compressible.bin"], x.Files["big/compressible.bin"], 40, 3), "random reads");
            // Mounted ro: the kernel refuses changes itself.
            Assert.Equal(Errno.EROFS, OpenErr(mnt["readme.txt"], O_WRONLY));
            Assert.Equal(Errno.EROFS, Err(mkdir(mnt["d"], 0x1ED)));
            Assert.Contains(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(mnt.Path) && l.Contains(" ro,"));
            Assert.Contains(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(mnt.Path) && l.Contains(a.Path));   // fsname
            CliTests.StopWithSigint(p, mnt);
            Assert.DoesNotContain(p.Stderr, l => l.Contains("error"));
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [MountFact]
    public void Detached_ZipColonArchive_Form()
    {
        using var a = new ZipTestArchive();
        using var mnt = new TempMountpoint();
        try
        {
            using var p = FastFuseProcess.Run(Quick, "zip:" + a.Path, mnt.Path);
            Assert.True(p.ExitCode == 0, p.AllOutput);
            Assert.True(Mounts.IsMounted(mnt.Path), "the command returned before the mount answered");
            Assert.Equal("a zip archive, mounted\n", Mounts.Io(() => File.ReadAllText(mnt["readme.txt"]), "read"));
            using var umount = Process.Start("umount", mnt.Path);
            Assert.True(umount.WaitForExit(20_000));
            Assert.Equal(0, umount.ExitCode);
            Assert.True(Mounts.WaitUntil(() => Mounts.PidsWithArg(mnt.Path).Count == 0, MountWait), "the daemon did not exit after umount");
        }
        finally
        {
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [Theory]
    [InlineData("garbage", true, "not a zip archive")]
    [InlineData("garbage", false, "not a zip archive")]
    [InlineData("missing", true, "does not exist")]
    [InlineData("directory", true, "is a directory")]
    [InlineData("truncated", false, "central directory")]
    public void BadArchive_OneLine_NonZeroExit_NothingMounted(string kind, bool foreground, string expected)
    {
        using var a = new ZipTestArchive();
        using var mnt = new TempMountpoint();
        string archive = Path.Combine(a.Dir, "bad.zip");
        var good = File.ReadAllBytes(a.Path);
        switch (kind)
        {
            case "garbage": File.WriteAllBytes(archive, MountTestUtil.Random(50_000, 9)); break;
            case "truncated": File.WriteAllBytes(archive, good[..(good.Length / 3)].Concat(good[^22..]).ToArray()); break;
            case "directory": Directory.CreateDirectory(archive); break;
        }
        var args = foreground ? new[] { "zip", archive, mnt.Path, "-f" } : new[] { "zip", archive, mnt.Path };
        using var p = FastFuseProcess.Run(Quick, args);
        Assert.NotEqual(0, p.ExitCode);
        // The lines arrive through the thread pool, which parallel tests can keep busy past Run's wait for the pipes.
        Assert.True(Mounts.WaitUntil(() => p.Stderr.Count > 0, MountWait), "no error line");
        var line = Assert.Single(p.Stderr);
        Assert.StartsWith("fastfuse: zip archive ", line);
        Assert.Contains(expected, line);
        Assert.Empty(p.Stdout);
        Assert.False(Mounts.IsMounted(mnt.Path));
    }

    [Fact]
    public void Help_ListsZip()
    {
        using var p = FastFuseProcess.Run(Quick, "--help");
        Assert.Equal(0, p.ExitCode);
        Assert.True(Mounts.WaitUntil(() => p.Stdout.Any(l => l.Contains("zip ARCHIVE MOUNTPOINT")), MountWait), string.Join('\n', p.Stdout));
    }

    [Theory]
    [InlineData(new[] { "zip", "/a.zip" }, "zip needs ARCHIVE and MOUNTPOINT")]
    [InlineData(new[] { "zip:", "/mnt" }, "zip: needs an ARCHIVE")]
    [InlineData(new[] { "zip", "/a.zip", "/mnt", "-o", "rw" }, "mount option 'rw' does not apply to zip")]
    [InlineData(new[] { "zip", "/a.zip", "/mnt", "-o", "writeback_cache" }, "does not apply to zip")]
    [InlineData(new[] { "zip", "/a.zip", "/mnt", "-o", "passthrough" }, "is for loopback only")]
    [InlineData(new[] { "zip", "/a.zip", "/mnt", "-o", "size=1m" }, null)]   // refused later, by the server: memfs only
    public void Arguments(string[] args, string? error)
    {
        if (error is null)
        {
            var o = CliOptions.Parse(args);
            Assert.Equal(("zip", "/a.zip", "/mnt"), (o.FileSystem, o.Source, o.Mountpoint));
            return;
        }
        Assert.Contains(error, Assert.Throws<MountException>(() => CliOptions.Parse(args)).Message);
    }

    [Fact]
    public void ZipColon_IsZipWithASource_AndNoSpliceReadApplies()
    {
        var o = CliOptions.Parse(["zip:/x/a.zip", "/mnt", "-o", "no_splice_read,entry_timeout=5"]);
        Assert.Equal(("zip", "/x/a.zip", "/mnt"), (o.FileSystem, o.Source, o.Mountpoint));
        Assert.True(o.Mount.NoSpliceRead);
    }
}
