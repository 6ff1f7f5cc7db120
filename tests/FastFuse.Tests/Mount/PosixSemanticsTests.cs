using FastFuse.Session;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>One or more mount tests for each item of notes/posix-semantics.md (umask: <see cref="UmaskTests"/>;
/// large directories: <see cref="LargeDirectoryTests"/>; fallocate modes: <see cref="FileIoTests"/>).</summary>
public abstract unsafe class PosixSemanticsTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    public static TheoryData<string> PermissionModes => new() { "", "default_permissions" };

    private MountedFs MountWith(string extra) => Mount(NoCache + (extra.Length > 0 ? "," + extra : ""));

    // 1. Ownership ------------------------------------------------------------------------------

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void Item1_NewNodesBelongToTheCallersUidAndGid(string extra)
    {
        using var m = MountWith(extra);
        Assert.Equal(0, Err(mkdir(m["pub"], 0x1FF)));
        Assert.Equal(0, Err(chmod(m["pub"], 0x1FF)));
        As(1000, 1001, () =>
        {
            Touch(m["pub/file"]);
            Assert.Equal(0, Err(mkdir(m["pub/dir"], 0x1ED)));
            Assert.Equal(0, Err(mkfifo(m["pub/fifo"], 0x1A4)));
            Assert.Equal(0, Err(symlink("file", m["pub/link"])));
            Assert.Equal(0, Err(mknod(m["pub/node"], S_IFREG | 0x1A4, 0)));
        });
        foreach (var name in new[] { "file", "dir", "fifo", "link", "node" })
        {
            var st = Lstat(m["pub/" + name]);
            Assert.True((1000u, 1001u) == (st.Uid, st.Gid), $"{name}: {st.Uid}:{st.Gid}");
        }
        // and root's own creations stay root's
        Touch(m["pub/rootfile"]);
        Assert.Equal((0u, 0u), (Stat(m["pub/rootfile"]).Uid, Stat(m["pub/rootfile"]).Gid));
    }

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void Item1_SetgidDirectory_NewEntriesTakeItsGroup_SubdirectoriesStaySetgid(string extra)
    {
        using var m = MountWith(extra);
        Assert.Equal(0, Err(mkdir(m["sg"], 0x1FF)));
        Assert.Equal(0, Err(chown(m["sg"], 0, 500)));
        Assert.Equal(0, Err(chmod(m["sg"], 0x5FF))); // 02777
        As(1000, 1000, () =>
        {
            Touch(m["sg/file"]);
            Assert.Equal(0, Err(mkdir(m["sg/sub"], 0x1ED)));
        });
        var f = Stat(m["sg/file"]);
        Assert.Equal((1000u, 500u), (f.Uid, f.Gid));
        var d = Stat(m["sg/sub"]);
        Assert.Equal((1000u, 500u), (d.Uid, d.Gid));
        Assert.True((d.Mode & S_ISGID) != 0, "a subdirectory of a setgid directory is setgid");
        Assert.Equal(0u, f.Mode & S_ISGID);
    }

    // 3. Mode 000 -------------------------------------------------------------------------------

    [MountFact]
    public void Item3_Mode000_IsReportedAs000()
    {
        using var m = Mount(NoCache);
        Close(Open(m["f"], O_WRONLY | O_CREAT | O_EXCL, 0));
        Assert.Equal(S_IFREG, Stat(m["f"]).Mode);
        Assert.Equal(0, Err(mkdir(m["d"], 0)));
        Assert.Equal(S_IFDIR, Stat(m["d"]).Mode);
        Touch(m["g"]);
        Assert.Equal(0, Err(chmod(m["g"], 0)));
        Assert.Equal(S_IFREG, Stat(m["g"]).Mode);
    }

    // 4. statfs namelen ------------------------------------------------------------------------

    [MountFact]
    public void Item4_StatfsNamelenIs255()
    {
        using var m = Mount(NoCache);
        Assert.Equal(255, Statfs(m.Path).Namelen);
        Assert.Equal(0, Err(mkdir(m["sub"], 0x1ED)));
        Assert.Equal(255, Statfs(m["sub"]).Namelen);
    }

    // 5. PATH_MAX - 1 --------------------------------------------------------------------------

    [MountFact]
    public void Item5_PathOfPathMaxMinusOneBytesWorks()
    {
        using var m = Mount(NoCache);
        // Components of at most 255 bytes adding up to an absolute path of exactly 4095 bytes.
        int remaining = 4095 - m.Path.Length;
        var parts = new List<string>();
        char c = 'a';
        while (remaining > 0)
        {
            int len = Math.Min(255, remaining - 1);
            if (remaining - 1 - len == 1) len--; // never leave a lone "/"
            parts.Add(new string(c++, len));
            remaining -= 1 + len;
        }
        string path = m.Path;
        for (int i = 0; i < parts.Count - 1; i++)
        {
            path += "/" + parts[i];
            Assert.Equal(0, Err(mkdir(path, 0x1ED)));
        }
        string dir = path;
        string full = path + "/" + parts[^1];
        Assert.Equal(4095, full.Length);
        WriteFile(full, "deep"u8);
        Assert.Equal("deep"u8.ToArray(), ReadFile(full));
        Assert.Equal(4, Stat(full).Size);
        Assert.Contains(ReadDir(dir), e => e.Name == parts[^1]);
        Assert.Equal(0, SetXattr(full, "user.deep", "1"u8));
        Assert.Equal(0, Err(rename(full, dir + "/x")));
        Assert.Equal(0, Err(rename(dir + "/x", full)));
        // One byte more does not fit in a syscall's path argument.
        Assert.Equal(Errno.ENAMETOOLONG, TryStat(full + "z", out _));
        Assert.Equal(0, Err(unlink(full)));
        Assert.Equal(Errno.ENOENT, TryStat(full, out _));
    }

    // 6. Symlinks -------------------------------------------------------------------------------

    [MountFact]
    public void Item6_LchownAndUtimensatOnADanglingLinkChangeTheLink()
    {
        using var m = Mount(NoCache);
        Touch(m["target"]);
        Assert.Equal(0, Err(symlink("target", m["link"])));
        Assert.Equal(0, Err(symlink("gone", m["dangling"])));
        foreach (var l in new[] { "link", "dangling" })
        {
            Assert.Equal(0, Err(lchown(m[l], 4000, 4001)));
            Assert.Equal(0, Utimens(m[l], 50, 5, 60, 6, nofollow: true));
            var st = Lstat(m[l]);
            Assert.Equal((4000u, 4001u), (st.Uid, st.Gid));
            Assert.Equal((60L, 6u), st.Mtime);
            Assert.Equal(S_IFLNK, st.Type);
        }
        var t = Stat(m["target"]);
        Assert.Equal((0u, 0u), (t.Uid, t.Gid));
        Assert.NotEqual((60L, 6u), t.Mtime);
        Assert.Equal(Errno.ENOENT, TryStat(m["gone"], out _)); // nothing was created at the dangling target
    }

    [MountFact]
    public void Item6_ASymlinkInTheMiddleOfAPathIsFollowedByTheKernelNotTheDaemon()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["real"], 0x1ED)));
        WriteFile(m["real/f"], "via link"u8);
        Assert.Equal(0, Err(symlink("real", m["alias"])));
        Assert.Equal("via link"u8.ToArray(), ReadFile(m["alias/f"]));
        // unlink of the link removes the link, not the directory it points to
        Assert.Equal(0, Err(unlink(m["alias"])));
        Assert.Equal(0, TryStat(m["real/f"], out _));
    }

    // 7. Times ----------------------------------------------------------------------------------

    [MountFact]
    public void Item7_TimesAreKeptInNanoseconds()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        // Several writes: with 100 ns resolution or better, the nanosecond parts are not all multiples of a second or a ms.
        var nsecs = new List<uint>();
        for (int i = 0; i < 8; i++)
        {
            int fd = Open(m["f"], O_WRONLY);
            PwriteAll(fd, "x"u8, i);
            close(fd);
            nsecs.Add(Stat(m["f"]).MtimeNsec);
            Thread.Sleep(1);
        }
        Assert.Contains(nsecs, n => n % 1_000_000 != 0);
        Assert.Equal(0, Utimens(m["f"], 1, 999_999_999, 2, 1));
        Assert.Equal((1L, 999_999_999u), Stat(m["f"]).Atime);
        Assert.Equal((2L, 1u), Stat(m["f"]).Mtime);
    }

    [MountFact]
    public void Item7_CtimeIsNotSetBackByUtimensat_MtimeOfTheFileFollowsWrites()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        long before = NowNs();
        Assert.Equal(0, Utimens(m["f"], 10, 0, 10, 0));
        var st = Stat(m["f"]);
        // ext4 (under LoopbackFs) stamps ctime from the coarse clock, a tick (up to 10 ms) behind a fine "now".
        Assert.True(Ns(st.Ctime) >= before - 20_000_000, "ctime is now, not the time that was set");
        Tick();
        int fd = Open(m["f"], O_WRONLY);
        WriteAll(fd, "y"u8);
        close(fd);
        st = Stat(m["f"]);
        Assert.True(Ns(st.Mtime) > before, "a write moves mtime past the explicitly set time");
    }

    // 8. Huge sizes -----------------------------------------------------------------------------

    [MountFact]
    public void Item8_TruncateTo1PB_IsEFBIG_AndTheMountStillAnswers()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "small"u8);
        Assert.Equal(Errno.EFBIG, Err(truncate(m["f"], 1L << 50)));
        Assert.Equal(5, Stat(m["f"]).Size);
        Assert.Equal("small"u8.ToArray(), ReadFile(m["f"]));
        Assert.False(m.Session.IsClosed);
    }

    [MountFact]
    public void Item8_FallocateOf1PB_IsEFBIGOrENOSPC_WithoutMemoryGrowth()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            long mem0 = GC.GetTotalMemory(false);
            int e = Err(fallocate(fd, 0, 0, 1L << 50));
            Assert.True(e is Errno.EFBIG or Errno.ENOSPC, $"fallocate 1 PB: {ErrName(e)}");
            e = Err(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1L << 50));
            Assert.True(e is Errno.EFBIG or Errno.ENOSPC, $"fallocate KEEP_SIZE 1 PB: {ErrName(e)}");
            Assert.Equal(0, Fstat(fd).Size);
            Assert.True(Fstat(fd).Blocks == 0, $"blocks {Fstat(fd).Blocks}");
            // MemFs only: within its maximum file size (1 TiB) but beyond its capacity: ENOSPC, nothing allocated.
            // Not on a mirror of ext4: ext4 allocates extent after extent until the disk is full before it answers
            // ENOSPC, which would fill the machine's disk; 1 PB above is refused by its s_maxbytes check up front.
            if (m.FileSystem is Filesystems.MemFs fs)
            {
                e = Err(fallocate(fd, 0, 0, 1L << 39));
                Assert.Equal(Errno.ENOSPC, e);
                Assert.Equal(0, Fstat(fd).Size);
                Assert.True(fs.UsedBytes < 1 << 20, $"used {fs.UsedBytes}");
            }
            Assert.True(GC.GetTotalMemory(false) - mem0 < 256L << 20, "no memory in proportion to the size asked");
        }
        finally { close(fd); }
        Touch(m["still-alive"]);
        Assert.Equal(0, TryStat(m["still-alive"], out _));
    }

    // 9. Sticky directories ---------------------------------------------------------------------

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void Item9_StickyDirectory_OnlyOwnerOfEntryOrDirectoryOrRootMayRemoveOrRename(string extra)
    {
        using var m = MountWith(extra);
        Assert.Equal(0, Err(mkdir(m["tmp"], 0x3FF)));
        Assert.Equal(0, Err(chmod(m["tmp"], 0x3FF))); // 01777
        Assert.Equal(0, Err(chown(m["tmp"], 1002, 1002)));
        As(1000, 1000, () =>
        {
            Touch(m["tmp/a"]);
            Touch(m["tmp/b"]);
            Touch(m["tmp/c"]);
            Touch(m["tmp/d"]);
        });
        // Another user: no.
        Assert.Equal(Errno.EPERM, As(1001, 1001, () => Err(unlink(m["tmp/a"]))));
        Assert.Equal(Errno.EPERM, As(1001, 1001, () => Err(rename(m["tmp/a"], m["tmp/stolen"]))));
        As(1001, 1001, () => Touch(m["tmp/mine"]));
        Assert.Equal(Errno.EPERM, As(1001, 1001, () => Err(rename(m["tmp/mine"], m["tmp/a"])))); // replacing theirs
        Assert.Equal(0, TryStat(m["tmp/a"], out _));
        // The entry's owner, the directory's owner and root: yes.
        Assert.Equal(0, As(1000, 1000, () => Err(unlink(m["tmp/a"]))));
        Assert.Equal(0, As(1002, 1002, () => Err(unlink(m["tmp/b"]))));
        Assert.Equal(0, As(1000, 1000, () => Err(rename(m["tmp/c"], m["tmp/c2"]))));
        Assert.Equal(0, Err(unlink(m["tmp/d"])));
        Assert.Equal(Errno.ENOENT, TryStat(m["tmp/a"], out _));
        Assert.Equal(Errno.ENOENT, TryStat(m["tmp/b"], out _));
        Assert.Equal(Errno.ENOENT, TryStat(m["tmp/d"], out _));
    }

    // 12. attr_timeout=0 + auto_inval_data costs a GETATTR per buffered read ------------------------

    /// <summary>Ten 4 KiB buffered reads inside a file whose pages are cached: how many GETATTRs reached the daemon.</summary>
    private long GetattrsForTenCachedReads(string options, FastFuse.Session.SessionOptions session)
    {
        using var m = Mount(options, session);
        WriteFile(m["f"], Random(64 * 1024, 20));
        int fd = Open(m["f"], O_RDONLY);
        try
        {
            var buf = new byte[4096];
            Assert.Equal(4096, Pread(fd, buf, 0)); // fill the page cache
            long before = m.Session.Stats.CountOf(Opcode.Getattr);
            for (int i = 0; i < 10; i++) Assert.Equal(4096, Pread(fd, buf, 0));
            return m.Session.Stats.CountOf(Opcode.Getattr) - before;
        }
        finally { close(fd); }
    }

    private static FastFuse.Session.SessionOptions WithAutoInval() => new()
    {
        Threads = 2,
        Want = FastFuse.Session.SessionOptions.DefaultWant | InitFlags.AutoInvalData,
    };

    /// <summary>
    /// Documents the cost named in item 12: with auto_inval_data the kernel revalidates the attributes before every
    /// buffered read (fuse_cache_read_iter → fuse_update_attributes), and with attr_timeout=0 they are never valid,
    /// so each read(2), even one served from the page cache, is a GETATTR round trip to the daemon.
    /// </summary>
    [MountFact]
    public void Item12_AttrTimeout0WithAutoInvalData_EveryBufferedReadCostsAGetattr()
    {
        long getattrs = GetattrsForTenCachedReads("allow_other,entry_timeout=0,attr_timeout=0", WithAutoInval());
        Assert.True(getattrs > 0, "buffered reads with attr_timeout=0 and auto_inval_data must cost GETATTRs");
        Assert.True(getattrs >= 8, $"about one GETATTR per read expected, saw {getattrs} for 10 reads");
    }

    /// <summary>The same reads cost nothing when the attributes may be cached (attr_timeout=60)...</summary>
    [MountFact]
    public void Item12_LongAttrTimeoutWithAutoInvalData_CachedReadsCostNoGetattr()
    {
        Assert.Equal(0, GetattrsForTenCachedReads("allow_other,entry_timeout=60,attr_timeout=60", WithAutoInval()));
    }

    /// <summary>...or without auto_inval_data (the session's default), even with attr_timeout=0.</summary>
    [MountFact]
    public void Item12_AttrTimeout0WithoutAutoInvalData_ReadsInsideTheFileCostNoGetattr()
    {
        Assert.Equal(0, GetattrsForTenCachedReads("allow_other,entry_timeout=0,attr_timeout=0", new FastFuse.Session.SessionOptions { Threads = 2 }));
    }
}

public sealed unsafe class PosixSemanticsTests_MemFs() : PosixSemanticsTests(FsKind.MemFs)
{
    // MemFs only: the maximum file size (MemFsOptions.MaxFileSize, 1 TiB) is MemFs's own limit; a mirror has the
    // source filesystem's (ext4: 16 TiB - 4 KiB), and EFBIG past it is covered by Item8_TruncateTo1PB_IsEFBIG.
    [MountFact]
    public void Item8_SparseFileAtTheMaximumSize_CostsNoMemory_AndWritesPastItAreEFBIG()
    {
        using var m = Mount(NoCache);
        var fs = (Filesystems.MemFs)m.FileSystem;
        long max = fs.Options.MaxFileSize; // 1 TiB
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            long mem0 = GC.GetTotalMemory(false);
            Assert.Equal(0, Err(ftruncate(fd, max)));
            Assert.Equal(max, Fstat(fd).Size);
            var buf = new byte[8192];
            Assert.Equal(8192, PreadFull(fd, buf, max - 8192));
            Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0) < 0);
            PwriteAll(fd, "end"u8, max - 3);
            fixed (byte* p = buf) Assert.Equal(Errno.EFBIG, Err(pwrite(fd, p, 1, max)));
            Assert.Equal(Errno.EFBIG, Err(ftruncate(fd, max + 1)));
            Assert.True(fs.UsedBytes < 1 << 20, $"used {fs.UsedBytes}");
            Assert.True(GC.GetTotalMemory(false) - mem0 < 256L << 20);
            Assert.Equal(3, PreadFull(fd, buf.AsSpan(0, 3), max - 3));
            Assert.Equal("end"u8.ToArray(), buf[..3]);
        }
        finally { close(fd); }
    }
}

public sealed class PosixSemanticsTests_Loopback() : PosixSemanticsTests(FsKind.Loopback);

public sealed class PosixSemanticsTests_MemFs_FuseUring() : PosixSemanticsTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class PosixSemanticsTests_MemFs_Uring() : PosixSemanticsTests(FsKind.MemFs, TransportKind.Uring);
public sealed class PosixSemanticsTests_Loopback_FuseUring() : PosixSemanticsTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class PosixSemanticsTests_Loopback_Uring() : PosixSemanticsTests(FsKind.Loopback, TransportKind.Uring);
public sealed class PosixSemanticsTests_MemFs_Writeback() : PosixSemanticsTests(FsKind.MemFs);
public sealed class PosixSemanticsTests_Loopback_Writeback() : PosixSemanticsTests(FsKind.Loopback);
