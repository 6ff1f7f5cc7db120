using FastFuse.Session;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>lookup/getattr/setattr, times and symlinks, seen through the kernel as ext4 shows them
/// (run against MemFs and LoopbackFs: <see cref="AttributeTests_MemFs"/>, <see cref="AttributeTests_Loopback"/>).</summary>
public abstract class AttributeTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    [MountFact]
    public void NewFile_StatShowsModeNlinkOwnerSizeBlocksAndCreationTimes()
    {
        using var m = Mount(NoCache);
        long before = NowNs();
        int fd = Open(m["f"], O_WRONLY | O_CREAT | O_EXCL, 0x1A0); // 0640
        WriteAll(fd, Random(5000, 1));
        Close(fd);
        long after = NowNs();
        var st = Stat(m["f"]);
        Assert.Equal(S_IFREG | 0x1A0u, st.Mode);
        Assert.Equal(1u, st.Nlink);
        Assert.Equal(0u, st.Uid);
        Assert.Equal(0u, st.Gid);
        Assert.Equal(5000, st.Size);
        Assert.InRange(st.Blocks, 10, 64 * 1024 / 512 + 8); // at least the bytes written, never absurd
        Assert.Equal(4096u, st.BlkSize);
        Assert.InRange(Ns(st.Mtime), before - MountTestUtil.ClockSlackNs, after + 1_000_000);
        Assert.InRange(Ns(st.Ctime), before - MountTestUtil.ClockSlackNs, after + 1_000_000);
        Assert.NotEqual(0ul, st.Ino);
    }

    [MountFact]
    public void NewDirectory_StatShowsDirModeNlink2AndSize4096()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        var st = Stat(m["d"]);
        Assert.Equal(S_IFDIR | 0x1EDu, st.Mode);
        Assert.Equal(2u, st.Nlink);
        Assert.Equal(4096, st.Size);
    }

    [MountFact]
    public void Stat_MissingName_IsENOENT()
    {
        using var m = Mount(NoCache);
        Assert.Equal(Errno.ENOENT, TryStat(m["nope"], out _));
        Assert.Equal(Errno.ENOENT, OpenErr(m["nope"], O_RDONLY, 0));
    }

    [MountFact]
    public void PathThroughAFile_IsENOTDIR()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(Errno.ENOTDIR, TryStat(m["f/x"], out _));
        Assert.Equal(Errno.ENOTDIR, Err(mkdir(m["f/x"], 0x1ED)));
        Assert.Equal(Errno.ENOTDIR, OpenErr(m["f/x"], O_WRONLY | O_CREAT, 0x1A4));
    }

    [MountFact]
    public void NameOf255BytesWorks_256IsENAMETOOLONG()
    {
        using var m = Mount(NoCache);
        string ok = new('a', 255), tooLong = new('b', 256);
        Touch(m[ok]);
        Assert.Equal(0, TryStat(m[ok], out _));
        Assert.Equal(0, Err(mkdir(m[new string('d', 255)], 0x1ED)));
        Assert.Equal(Errno.ENAMETOOLONG, OpenErr(m[tooLong], O_WRONLY | O_CREAT, 0x1A4));
        Assert.Equal(Errno.ENAMETOOLONG, Err(mkdir(m[tooLong], 0x1ED)));
        Assert.Equal(Errno.ENAMETOOLONG, TryStat(m[tooLong], out _));
        Assert.Equal(Errno.ENAMETOOLONG, Err(symlink("x", m[tooLong])));
        Assert.Equal(Errno.ENAMETOOLONG, Err(rename(m[ok], m[tooLong])));
        Assert.Equal(Errno.ENAMETOOLONG, Err(link(m[ok], m[tooLong])));
    }

    [MountFact]
    public void Chmod_ChangesPermissionBitsIncludingSpecialBits()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(chmod(m["f"], 0x184))); // 0604
        Assert.Equal(S_IFREG | 0x184u, Stat(m["f"]).Mode);
        Assert.Equal(0, Err(chmod(m["f"], 0xDED))); // 06755
        Assert.Equal(S_IFREG | 0xDEDu, Stat(m["f"]).Mode);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(0, Err(chmod(m["d"], 0x3FF))); // 01777
        Assert.Equal(S_IFDIR | 0x3FFu, Stat(m["d"]).Mode);
    }

    [MountFact]
    public void Chown_ChangesOwnerAndGroup()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(chown(m["f"], 1000, 1001)));
        var st = Stat(m["f"]);
        Assert.Equal((1000u, 1001u), (st.Uid, st.Gid));
        Assert.Equal(0, Err(chown(m["f"], uint.MaxValue, 42))); // -1: keep the owner
        st = Stat(m["f"]);
        Assert.Equal((1000u, 42u), (st.Uid, st.Gid));
    }

    [MountFact]
    public void Chown_ClearsSetuidOnRegularFile()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(chmod(m["f"], 0x9ED))); // 04755
        Assert.Equal(0, Err(chown(m["f"], 1000, 1000)));
        Assert.Equal(0u, Stat(m["f"]).Mode & S_ISUID);
    }

    [MountFact]
    public void TruncateUp_ExtendsWithZerosAndKeepsPrefix()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "0123456789"u8);
        Assert.Equal(0, Err(truncate(m["f"], 1 << 20)));
        Assert.Equal(1 << 20, Stat(m["f"]).Size);
        var data = ReadFile(m["f"]);
        Assert.Equal(1 << 20, data.Length);
        Assert.Equal("0123456789"u8.ToArray(), data[..10]);
        Assert.True(data.AsSpan(10).IndexOfAnyExcept((byte)0) < 0, "the extension must read as zeros");
    }

    [MountFact]
    public void TruncateDownThenUp_OldBytesDoNotComeBack()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "abcdefghij"u8);
        Assert.Equal(0, Err(truncate(m["f"], 3)));
        Assert.Equal("abc"u8.ToArray(), ReadFile(m["f"]));
        Assert.Equal(0, Err(truncate(m["f"], 10)));
        Assert.Equal("abc\0\0\0\0\0\0\0"u8.ToArray(), ReadFile(m["f"]));
    }

    [MountFact]
    public void Ftruncate_ThroughOpenFd_ChangesSize()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            WriteAll(fd, Random(10000, 2));
            Assert.Equal(0, Err(ftruncate(fd, 4097)));
            Assert.Equal(4097, Fstat(fd).Size);
            Assert.Equal(4097, Stat(m["f"]).Size);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Truncate_Directory_IsEISDIR()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EISDIR, Err(truncate(m["d"], 0)));
    }

    [MountFact]
    public void Utimensat_ExplicitTimesAreKeptToTheNanosecond()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Utimens(m["f"], 1_000_000_000, 123_456_789, 1_234_567_890, 987_654_321));
        var st = Stat(m["f"]);
        Assert.Equal((1_000_000_000L, 123_456_789u), st.Atime);
        Assert.Equal((1_234_567_890L, 987_654_321u), st.Mtime);
    }

    [MountFact]
    public void Utimensat_TimesBeforeTheEpochAndOddNanoseconds()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Utimens(m["f"], 1, 1, 4_000_000_001, 999_999_999));
        var st = Stat(m["f"]);
        Assert.Equal((1L, 1u), st.Atime);
        Assert.Equal((4_000_000_001L, 999_999_999u), st.Mtime);
    }

    [MountFact]
    public void Utimensat_UtimeNow_SetsCurrentTime()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Utimens(m["f"], 5, 0, 5, 0));
        long before = NowNs();
        Assert.Equal(0, Utimens(m["f"], 0, UTIME_NOW, 0, UTIME_NOW));
        long after = NowNs();
        var st = Stat(m["f"]);
        Assert.InRange(Ns(st.Atime), before - MountTestUtil.ClockSlackNs, after + 1_000_000);
        Assert.InRange(Ns(st.Mtime), before - MountTestUtil.ClockSlackNs, after + 1_000_000);
    }

    [MountFact]
    public void Utimensat_UtimeOmit_LeavesThatTimeAlone()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Utimens(m["f"], 100, 1, 200, 2));
        Assert.Equal(0, Utimens(m["f"], 300, 3, 0, UTIME_OMIT));
        var st = Stat(m["f"]);
        Assert.Equal((300L, 3u), st.Atime);
        Assert.Equal((200L, 2u), st.Mtime);
        Assert.Equal(0, Utimens(m["f"], 0, UTIME_OMIT, 400, 4));
        st = Stat(m["f"]);
        Assert.Equal((300L, 3u), st.Atime);
        Assert.Equal((400L, 4u), st.Mtime);
    }

    [MountFact]
    public void Utimensat_SetsCtimeToNow()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        var c0 = Ns(Stat(m["f"]).Ctime);
        Tick();
        Assert.Equal(0, Utimens(m["f"], 7, 0, 7, 0));
        Assert.True(Ns(Stat(m["f"]).Ctime) > c0, "ctime must move on utimensat");
    }

    [MountFact]
    public void Symlink_ReadlinkAndLstat()
    {
        using var m = Mount(NoCache);
        WriteFile(m["target"], "data"u8);
        Assert.Equal(0, Err(symlink("target", m["link"])));
        Assert.Equal("target", ReadLink(m["link"]));
        var l = Lstat(m["link"]);
        Assert.Equal(S_IFLNK | 0x1FFu, l.Mode);
        Assert.Equal("target".Length, l.Size);
        Assert.Equal(1u, l.Nlink);
        Assert.Equal(S_IFREG, Stat(m["link"]).Type); // stat follows
        Assert.Equal("data"u8.ToArray(), ReadFile(m["link"]));
        Assert.Equal(Errno.EEXIST, Err(symlink("other", m["link"])));
    }

    [MountFact]
    public void Readlink_OnAFile_IsEINVAL()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        var buf = new byte[64];
        unsafe
        {
            fixed (byte* p = buf) Assert.Equal(Errno.EINVAL, Err(readlink(m["f"], p, 64)));
        }
    }

    [MountFact]
    public void DanglingSymlink_StatIsENOENT_LstatAndReadlinkWork_OExclIsEEXIST()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(symlink("no/such/target", m["dangling"])));
        Assert.Equal(Errno.ENOENT, TryStat(m["dangling"], out _));
        Assert.Equal(S_IFLNK, Lstat(m["dangling"]).Type);
        Assert.Equal("no/such/target", ReadLink(m["dangling"]));
        Assert.Equal(Errno.EEXIST, OpenErr(m["dangling"], O_WRONLY | O_CREAT | O_EXCL, 0x1A4));
    }

    [MountFact]
    public void Lchown_ChangesTheLinkNotTheTarget()
    {
        using var m = Mount(NoCache);
        Touch(m["target"]);
        Assert.Equal(0, Err(symlink("target", m["link"])));
        Assert.Equal(0, Err(lchown(m["link"], 1234, 5678)));
        var l = Lstat(m["link"]);
        var t = Stat(m["target"]);
        Assert.Equal((1234u, 5678u), (l.Uid, l.Gid));
        Assert.Equal((0u, 0u), (t.Uid, t.Gid));
        // chown follows the link and changes the target only
        Assert.Equal(0, Err(chown(m["link"], 42, 43)));
        Assert.Equal((42u, 43u), (Stat(m["target"]).Uid, Stat(m["target"]).Gid));
        Assert.Equal(1234u, Lstat(m["link"]).Uid);
    }

    [MountFact]
    public void UtimensatNoFollow_ChangesTheLinkNotTheTarget()
    {
        using var m = Mount(NoCache);
        Touch(m["target"]);
        Assert.Equal(0, Utimens(m["target"], 111, 0, 222, 0));
        Assert.Equal(0, Err(symlink("target", m["link"])));
        Assert.Equal(0, Utimens(m["link"], 333, 3, 444, 4, nofollow: true));
        Assert.Equal((444L, 4u), Lstat(m["link"]).Mtime);
        Assert.Equal((333L, 3u), Lstat(m["link"]).Atime);
        Assert.Equal((222L, 0u), Stat(m["target"]).Mtime);
        Assert.Equal((111L, 0u), Stat(m["target"]).Atime);
    }

    [MountFact]
    public void DanglingSymlink_LchownAndUtimensatNoFollowWork()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(symlink("/nonexistent/target", m["dangling"])));
        Assert.Equal(0, Err(lchown(m["dangling"], 77, 88)));
        Assert.Equal(0, Utimens(m["dangling"], 10, 20, 30, 40, nofollow: true));
        var l = Lstat(m["dangling"]);
        Assert.Equal((77u, 88u), (l.Uid, l.Gid));
        Assert.Equal((30L, 40u), l.Mtime);
        Assert.Equal((10L, 20u), l.Atime);
        // Following the link is still ENOENT.
        Assert.Equal(Errno.ENOENT, Err(chown(m["dangling"], 1, 1)));
    }

    [MountFact]
    public void Mknod_RegularFileAndCharDevice()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mknod(m["reg"], S_IFREG | 0x1A4, 0)));
        var r = Stat(m["reg"]);
        Assert.Equal(S_IFREG | 0x1A4u, r.Mode);
        Assert.Equal(0, r.Size);
        Assert.Equal(0, Err(mknod(m["chr"], S_IFCHR | 0x180, Makedev(1, 3))));
        var c = Lstat(m["chr"]);
        Assert.Equal(S_IFCHR | 0x180u, c.Mode);
        Assert.Equal((1u, 3u), (c.RdevMajor, c.RdevMinor));
        Assert.Equal(Errno.EEXIST, Err(mknod(m["reg"], S_IFREG | 0x1A4, 0)));
    }

    [MountFact]
    public void Mkfifo_CreatesAFifo()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkfifo(m["fifo"], 0x1A4)));
        var st = Lstat(m["fifo"]);
        Assert.Equal(S_IFIFO | 0x1A4u, st.Mode);
        Assert.Equal(1u, st.Nlink);
        // A fifo opened non-blocking for reading opens without a writer (the kernel serves the pipe).
        int fd = open(m["fifo"], O_RDONLY | O_NONBLOCK, 0);
        Assert.True(fd >= 0, $"open fifo: {ErrName(LastErrno)}");
        close(fd);
    }

    [MountFact]
    public void Read_UpdatesAtimeUnderRelatime()
    {
        using var m = Mount(NoCache + ",direct_io");
        WriteFile(m["f"], "hello"u8);
        Assert.Equal(0, Utimens(m["f"], 1000, 0, 2000, 0)); // atime older than mtime: relatime updates it
        long before = NowNs();
        Assert.Equal("hello"u8.ToArray(), ReadFile(m["f"]));
        var st = Stat(m["f"]);
        Assert.True(Ns(st.Atime) >= before - MountTestUtil.ClockSlackNs, $"atime {st.Atime} must be updated by a read");
        Assert.Equal((2000L, 0u), st.Mtime);
    }

    [MountFact]
    public void StatOfFileAndDirHaveDistinctStableInodeNumbers()
    {
        using var m = Mount(NoCache);
        Touch(m["a"]);
        Touch(m["b"]);
        var a = Stat(m["a"]).Ino;
        Assert.NotEqual(a, Stat(m["b"]).Ino);
        Assert.Equal(a, Stat(m["a"]).Ino);
        Assert.Equal(0, Err(rename(m["a"], m["c"])));
        Assert.Equal(a, Stat(m["c"]).Ino);
    }
}

public sealed class AttributeTests_MemFs() : AttributeTests(FsKind.MemFs);
public sealed class AttributeTests_Loopback() : AttributeTests(FsKind.Loopback);

public sealed class AttributeTests_MemFs_FuseUring() : AttributeTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class AttributeTests_MemFs_Uring() : AttributeTests(FsKind.MemFs, TransportKind.Uring);
public sealed class AttributeTests_Loopback_FuseUring() : AttributeTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class AttributeTests_Loopback_Uring() : AttributeTests(FsKind.Loopback, TransportKind.Uring);
public sealed class AttributeTests_MemFs_Writeback() : AttributeTests(FsKind.MemFs);
public sealed class AttributeTests_Loopback_Writeback() : AttributeTests(FsKind.Loopback);
