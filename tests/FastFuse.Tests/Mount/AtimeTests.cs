using FastFuse.Api;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Access times under the mount options that govern them, as ext4 keeps them (fs/inode.c atime_needs_update):
/// relatime updates atime when it is not after mtime and ctime (or a day old), strictatime on every read, noatime
/// never, nodiratime never for directories; a remount changes the rules of a live mount. Every read here reaches
/// the filesystem (a fresh open drops the page cache; a fresh opendir lists again). For loopback the source's
/// atime is checked too: it is the same file, and the daemon's own reads must not change it against the rules.
/// </summary>
public abstract class AtimeTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private static void ReadOnce(string path)
    {
        int fd = Open(path, O_RDONLY);
        try
        {
            var buf = new byte[4096];
            Assert.True(Pread(fd, buf, 0) > 0);
        }
        finally { close(fd); }
    }

    private static void ListOnce(string path) => Assert.NotEmpty(Directory.GetFileSystemEntries(path));

    /// <summary>atime and mtime ten hours ago, ctime now (utimensat sets it).</summary>
    private static void MakeOld(string path)
    {
        long old = NowNs() / 1_000_000_000 - 10 * 3600;
        Assert.Equal(0, Utimens(path, old, 0, old, 0));
    }

    /// <summary>Read <paramref name="path"/> twice (after making its atime old) and say whether each read moved
    /// atime; checks the source's copy shows the same atime.</summary>
    private (bool First, bool Second) TwoReads(MountedFs m, string name, Action<string> read)
    {
        string path = m[name];
        MakeOld(path);
        var a0 = Stat(path).Atime;
        read(path);
        var a1 = Stat(path).Atime;
        Tick();
        read(path);
        var a2 = Stat(path).Atime;
        if (IsLoopback) Assert.Equal(a2, Stat(m.SourcePath + "/" + name).Atime);
        return (a1 != a0, a2 != a1);
    }

    private MountedFs MountWith(string atime)
    {
        var m = Mount(NoCache + (atime.Length > 0 ? "," + atime : ""));
        WriteFile(m["f"], Random(8192, 3));
        Directory.CreateDirectory(m["d"]);
        WriteFile(m["d/x"], "x"u8.ToArray());
        return m;
    }

    [MountTheory]
    [InlineData("", true, false, true, false)]             // relatime, the kernel's default: once after a change
    [InlineData("relatime", true, false, true, false)]
    [InlineData("strictatime", true, true, true, true)]
    [InlineData("noatime", false, false, false, false)]
    [InlineData("nodiratime", true, false, false, false)]  // relatime for files, never for directories
    [InlineData("strictatime,nodiratime", true, true, false, false)]
    public void ReadsMoveAtime_AsTheMountOptionSays(string options, bool file1, bool file2, bool dir1, bool dir2)
    {
        using var m = MountWith(options);
        Assert.Equal((file1, file2), TwoReads(m, "f", ReadOnce));
        Assert.Equal((dir1, dir2), TwoReads(m, "d", ListOnce));
    }

    [MountFact]
    public void Remount_ChangesTheRules_OfTheLiveMount()
    {
        using var m = MountWith("noatime");
        Assert.Equal((false, false), TwoReads(m, "f", ReadOnce));
        Remount(m, "strictatime", AtimeMode.Strict);
        Assert.Equal((true, true), TwoReads(m, "f", ReadOnce));
        Assert.Equal((true, true), TwoReads(m, "d", ListOnce));
        Remount(m, "relatime", AtimeMode.Relatime);
        Assert.Equal((true, false), TwoReads(m, "f", ReadOnce));
        Remount(m, "noatime", AtimeMode.Never);
        Assert.Equal((false, false), TwoReads(m, "f", ReadOnce));
    }

    /// <summary><c>mount -i -o remount,OPTION</c> (-i: no mount.fuse helper; the kernel changes the per-mount
    /// flags and tells the daemon nothing), then wait for the session to have seen it in mountinfo.</summary>
    private static void Remount(MountedFs m, string option, AtimeMode mode)
    {
        var r = Command.Run("/bin/mount", new[] { "-i", "-o", "remount," + option, m.Path }, TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.All);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (m.Session.Atime.Mode != mode && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.Equal(mode, m.Session.Atime.Mode);
    }
}

public sealed class AtimeTests_MemFs() : AtimeTests(FsKind.MemFs);
public sealed class AtimeTests_Loopback() : AtimeTests(FsKind.Loopback);
public sealed class AtimeTests_MemFs_FuseUring() : AtimeTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class AtimeTests_MemFs_Uring() : AtimeTests(FsKind.MemFs, TransportKind.Uring);
public sealed class AtimeTests_Loopback_FuseUring() : AtimeTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class AtimeTests_Loopback_Uring() : AtimeTests(FsKind.Loopback, TransportKind.Uring);
public sealed class AtimeTests_MemFs_Writeback() : AtimeTests(FsKind.MemFs);
public sealed class AtimeTests_Loopback_Writeback() : AtimeTests(FsKind.Loopback);
