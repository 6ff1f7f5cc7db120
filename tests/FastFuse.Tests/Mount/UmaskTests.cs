using FastFuse.Session;
using System.Diagnostics;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>The process umask is shared by every thread: tests that change it run alone.</summary>
[CollectionDefinition("umask", DisableParallelization = true)]
public sealed class UmaskCollection { }

/// <summary>Item 2 of notes/posix-semantics.md: the caller's umask is applied exactly once (FUSE_DONT_MASK).</summary>
[Collection("umask")]
public abstract class UmaskTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private static void WithUmask(uint mask, Action action)
    {
        uint old = umask(mask);
        try { action(); }
        finally { umask(old); }
    }

    [MountTheory]
    [InlineData(0x12u, 0x1EDu)] // 022 → 0755
    [InlineData(0u, 0x1FFu)]    // 0   → 0777
    [InlineData(0x3Fu, 0x1C0u)] // 077 → 0700
    public void CreateMkdirMknodMkfifo_ApplyTheUmaskOnce(uint mask, uint expected)
    {
        using var m = Mount(NoCache);
        WithUmask(mask, () =>
        {
            Close(Open(m["file"], O_WRONLY | O_CREAT | O_EXCL, 0x1FF));
            Assert.Equal(0, Err(mkdir(m["dir"], 0x1FF)));
            Assert.Equal(0, Err(mkfifo(m["fifo"], 0x1FF)));
            Assert.Equal(0, Err(mknod(m["node"], S_IFREG | 0x1FF, 0)));
        });
        Assert.Equal(S_IFREG | expected, Stat(m["file"]).Mode);
        Assert.Equal(S_IFDIR | expected, Stat(m["dir"]).Mode);
        Assert.Equal(S_IFIFO | expected, Lstat(m["fifo"]).Mode);
        Assert.Equal(S_IFREG | expected, Stat(m["node"]).Mode);
    }

    [MountFact]
    public void SymlinkModeIgnoresTheUmask()
    {
        using var m = Mount(NoCache);
        WithUmask(0x3F, () => Assert.Equal(0, Err(symlink("t", m["l"]))));
        Assert.Equal(S_IFLNK | 0x1FFu, Lstat(m["l"]).Mode);
    }

    /// <summary>The daemon's umask (this process: 077) must not be applied on top of the caller's (a child: 000 or 022).</summary>
    /// <remarks>LoopbackFs: the daemon's umask is 0, by design. Its creations are syscalls on the source, which the kernel
    /// masks with the daemon process's umask, so it sets that to 0 in its constructor (documented, LoopbackFs.cs) and
    /// applies the caller's umask itself. Here the daemon is this very process: setting 077 around the child would
    /// change LoopbackFs's own umask, which no real daemon does after mounting. So on LoopbackFs the daemon's umask is
    /// the 0 it set, and the test checks that it stayed 0 and that the child's umask is applied exactly once.</remarks>
    [MountTheory]
    [InlineData("000", 0x1FFu)]
    [InlineData("022", 0x1EDu)]
    public void TheDaemonsOwnUmaskIsNotAppliedASecondTime(string childUmask, uint expected)
    {
        using var m = Mount(NoCache);
        uint daemonUmask = 0x3F; // 077
        if (IsLoopback)
        {
            daemonUmask = umask(0);
            Assert.Equal(0u, daemonUmask); // LoopbackFs's constructor set it
        }
        WithUmask(daemonUmask, () =>
        {
            var psi = new ProcessStartInfo("/bin/sh")
            {
                ArgumentList = { "-c", $"umask {childUmask} && mkdir \"$1\" && : > \"$2\" && chmod 0 \"$2\" && chmod a+rwx \"$2\" && mkfifo \"$3\"", "sh", m["dir"], m["file"], m["fifo"] },
                UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            Assert.True(p.WaitForExit(30_000));
            Assert.Equal(0, p.ExitCode);
        });
        Assert.Equal(S_IFDIR | expected, Stat(m["dir"]).Mode);
        Assert.Equal(S_IFIFO | (expected & 0x1B6u), Lstat(m["fifo"]).Mode); // mkfifo asks for 0666
    }
}

[Collection("umask")]
public sealed class UmaskTests_MemFs() : UmaskTests(FsKind.MemFs);
[Collection("umask")]
public sealed class UmaskTests_Loopback() : UmaskTests(FsKind.Loopback);

public sealed class UmaskTests_MemFs_FuseUring() : UmaskTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class UmaskTests_MemFs_Uring() : UmaskTests(FsKind.MemFs, TransportKind.Uring);
public sealed class UmaskTests_Loopback_FuseUring() : UmaskTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class UmaskTests_Loopback_Uring() : UmaskTests(FsKind.Loopback, TransportKind.Uring);
public sealed class UmaskTests_MemFs_Writeback() : UmaskTests(FsKind.MemFs);
public sealed class UmaskTests_Loopback_Writeback() : UmaskTests(FsKind.Loopback);
