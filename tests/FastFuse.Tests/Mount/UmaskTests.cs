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
public class UmaskTests
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
        using var m = MountedFs.MemFs(NoCache);
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
        using var m = MountedFs.MemFs(NoCache);
        WithUmask(0x3F, () => Assert.Equal(0, Err(symlink("t", m["l"]))));
        Assert.Equal(S_IFLNK | 0x1FFu, Lstat(m["l"]).Mode);
    }

    /// <summary>The daemon's umask (this process: 077) must not be applied on top of the caller's (a child: 000 or 022).</summary>
    [MountTheory]
    [InlineData("000", 0x1FFu)]
    [InlineData("022", 0x1EDu)]
    public void TheDaemonsOwnUmaskIsNotAppliedASecondTime(string childUmask, uint expected)
    {
        using var m = MountedFs.MemFs(NoCache);
        WithUmask(0x3F, () =>
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
