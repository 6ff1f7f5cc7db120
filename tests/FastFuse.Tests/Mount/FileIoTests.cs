using FastFuse.Session;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>open/read/write, statfs, fsync, xattrs, access, fallocate, lseek and copy_file_range (MemFs and LoopbackFs).</summary>
public abstract unsafe class FileIoTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    [MountFact]
    public void Create_MakesAnEmptyFileWithTheRequestedMode()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT | O_EXCL, 0x180); // 0600
        try
        {
            var st = Fstat(fd);
            Assert.Equal(S_IFREG | 0x180u, st.Mode);
            Assert.Equal(0, st.Size);
            Assert.Equal(0, Pread(fd, new byte[16], 0));
        }
        finally { close(fd); }
    }

    [MountFact]
    public void OCreatOExcl_OnExistingName_IsEEXIST()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "keep"u8);
        Assert.Equal(Errno.EEXIST, OpenErr(m["f"], O_RDWR | O_CREAT | O_EXCL, 0x1A4));
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EEXIST, OpenErr(m["d"], O_RDWR | O_CREAT | O_EXCL, 0x1A4));
        Assert.Equal("keep"u8.ToArray(), ReadFile(m["f"]));
    }

    [MountFact]
    public void OCreatWithoutOExcl_OpensTheExistingFile()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "keep"u8);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1FF);
        close(fd);
        Assert.Equal("keep"u8.ToArray(), ReadFile(m["f"]));
        Assert.Equal(S_IFREG | 0x1A4u, Stat(m["f"]).Mode); // the mode of an existing file is not touched
    }

    [MountFact]
    public void WriteThenRead_RoundTripsAndPositionsAdvance()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            WriteAll(fd, "hello "u8);
            WriteAll(fd, "world"u8);
            Assert.Equal(11, lseek(fd, 0, SEEK_CUR));
            Assert.Equal(0, lseek(fd, 0, SEEK_SET));
            var buf = new byte[64];
            fixed (byte* p = buf)
            {
                long n = read(fd, p, 64);
                Assert.Equal(11, n);
            }
            Assert.Equal("hello world"u8.ToArray(), buf[..11]);
            Assert.Equal(11, lseek(fd, 0, SEEK_END));
        }
        finally { close(fd); }
    }

    [MountFact]
    public void PwritePastEnd_LeavesAZeroFilledGap()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            PwriteAll(fd, "A"u8, 0);
            PwriteAll(fd, "Z"u8, 100_000);
            Assert.Equal(100_001, Fstat(fd).Size);
            var buf = new byte[100_001];
            Assert.Equal(100_001, PreadFull(fd, buf, 0));
            Assert.Equal((byte)'A', buf[0]);
            Assert.Equal((byte)'Z', buf[100_000]);
            Assert.True(buf.AsSpan(1, 99_999).IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(0, Pread(fd, new byte[10], 100_001)); // at EOF: 0
        }
        finally { close(fd); }
    }

    [MountFact]
    public void OAppend_EveryWriteGoesToTheEnd()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "abc"u8);
        int app = Open(m["f"], O_WRONLY | O_APPEND);
        int other = Open(m["f"], O_WRONLY);
        try
        {
            WriteAll(app, "de"u8);
            PwriteAll(other, "XYZ12"u8, 5); // the file grows behind the appender's back
            WriteAll(app, "!"u8);
            Assert.Equal("abcdeXYZ12!"u8.ToArray(), ReadFile(m["f"]));
        }
        finally
        {
            close(app);
            close(other);
        }
    }

    [MountFact]
    public void OTrunc_OnOpen_EmptiesAnExistingFile()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], Random(70_000, 3));
        int fd = Open(m["f"], O_RDWR | O_TRUNC);
        try
        {
            Assert.Equal(0, Fstat(fd).Size);
            WriteAll(fd, "x"u8);
        }
        finally { close(fd); }
        Assert.Equal("x"u8.ToArray(), ReadFile(m["f"]));
    }

    [MountFact]
    public void ReadOnlyFd_WriteIsEBADF()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "x"u8);
        int fd = Open(m["f"], O_RDONLY);
        try
        {
            fixed (byte* p = new byte[1]) Assert.Equal(Errno.EBADF, Err(write(fd, p, 1)));
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Statfs_ReportsNamelen255AndBlockSize4096AndFreeSpaceShrinks()
    {
        using var m = Mount(NoCache);
        var s0 = Statfs(m.Path);
        Assert.Equal(255, s0.Namelen);
        Assert.Equal(4096, s0.Bsize);
        Assert.Equal(0x65735546, s0.Type); // FUSE_SUPER_MAGIC
        Assert.True(s0.Blocks > 0 && s0.Bfree <= s0.Blocks && s0.Bavail <= s0.Blocks);
        Assert.True(s0.Files > 0 && s0.Ffree <= s0.Files);
        if (IsLoopback)
        {
            // A mirror reports the source's filesystem (ext4 shared with everything else on this machine, and with the
            // tests running in parallel): its free counts cannot be attributed to this test, so only the totals are compared.
            var src = Statfs(m.SourcePath!);
            Assert.Equal((src.Blocks, src.Files, src.Bsize), (s0.Blocks, s0.Files, s0.Bsize));
            return;
        }
        WriteFile(m["big"], Random(4 << 20, 4));
        var s1 = Statfs(m.Path);
        Assert.InRange((long)(s0.Bfree - s1.Bfree), 1024, 2048); // 4 MiB = 1024 blocks (plus a little slack)
        Assert.True(s1.Ffree < s0.Ffree, "a new file takes an inode");
    }

    [MountFact]
    public void Fsync_FdatasyncAndDirectoryFsync_Succeed()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            WriteAll(fd, "data"u8);
            Assert.Equal(0, Err(fsync(fd)));
            Assert.Equal(0, Err(fdatasync(fd)));
        }
        finally { close(fd); }
        int dfd = Open(m.Path, O_RDONLY | O_DIRECTORY);
        try { Assert.Equal(0, Err(fsync(dfd))); }
        finally { close(dfd); }
        Assert.Equal("data"u8.ToArray(), ReadFile(m["f"]));
    }

    [MountFact]
    public void UnlinkedFile_StaysReadableAndWritableThroughAnOpenFd()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "before"u8);
        int fd = Open(m["f"], O_RDWR);
        try
        {
            Assert.Equal(0, Err(unlink(m["f"])));
            Assert.Equal(Errno.ENOENT, TryStat(m["f"], out _));
            Assert.Equal(0u, Fstat(fd).Nlink);
            PwriteAll(fd, " and after"u8, 6);
            var buf = new byte[64];
            int n = PreadFull(fd, buf, 0);
            Assert.Equal("before and after"u8.ToArray(), buf[..n]);
            Assert.Equal(16, Fstat(fd).Size);
            // A new file of the same name is a different file.
            WriteFile(m["f"], "new"u8);
            Assert.NotEqual(Fstat(fd).Ino, Stat(m["f"]).Ino);
            n = PreadFull(fd, buf, 0);
            Assert.Equal(16, n);
        }
        finally { close(fd); }
        Assert.Equal("new"u8.ToArray(), ReadFile(m["f"]));
    }

    // ---------------------------------------------------------------- xattrs

    [MountFact]
    public void Xattr_SetGetListRemove()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, SetXattr(m["f"], "user.one", "value-1"u8));
        Assert.Equal(0, SetXattr(m["f"], "user.two", "2"u8));
        Assert.Equal(0, SetXattr(m["f"], "user.empty", ReadOnlySpan<byte>.Empty));
        var g = GetXattr(m["f"], "user.one", 64);
        Assert.Equal((7L, 0), (g.Length, g.Errno));
        Assert.Equal("value-1"u8.ToArray(), g.Value);
        Assert.Equal((0L, 0), (GetXattr(m["f"], "user.empty", 64).Length, GetXattr(m["f"], "user.empty", 64).Errno));
        var l = ListXattr(m["f"], 1024);
        Assert.Equal(0, l.Errno);
        Assert.Equal(new[] { "user.empty", "user.one", "user.two" }, l.Names.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(0, Err(removexattr(m["f"], "user.one")));
        Assert.Equal(Errno.ENODATA, GetXattr(m["f"], "user.one", 64).Errno);
        Assert.DoesNotContain("user.one", ListXattr(m["f"], 1024).Names);
        Assert.Equal(Errno.ENODATA, Err(removexattr(m["f"], "user.one")));
    }

    [MountFact]
    public void Xattr_Overwrite_ReplacesTheValue()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, SetXattr(m["f"], "user.k", "a long first value"u8));
        Assert.Equal(0, SetXattr(m["f"], "user.k", "short"u8));
        Assert.Equal("short"u8.ToArray(), GetXattr(m["f"], "user.k", 64).Value);
        Assert.Equal(0, SetXattr(m["f"], "user.k", "replaced"u8, XATTR_REPLACE));
        Assert.Equal("replaced"u8.ToArray(), GetXattr(m["f"], "user.k", 64).Value);
    }

    [MountFact]
    public void Xattr_CreateOnExisting_IsEEXIST()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, SetXattr(m["f"], "user.k", "v1"u8, XATTR_CREATE));
        Assert.Equal(Errno.EEXIST, SetXattr(m["f"], "user.k", "v2"u8, XATTR_CREATE));
        Assert.Equal("v1"u8.ToArray(), GetXattr(m["f"], "user.k", 64).Value);
    }

    [MountFact]
    public void Xattr_ReplaceOnMissing_IsENODATA()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(Errno.ENODATA, SetXattr(m["f"], "user.k", "v"u8, XATTR_REPLACE));
        Assert.Equal(Errno.ENODATA, GetXattr(m["f"], "user.k", 64).Errno);
    }

    [MountFact]
    public void Xattr_SizeProbeWithZero_ReturnsTheLength()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        var value = Random(3000, 6);
        Assert.Equal(0, SetXattr(m["f"], "user.big", value));
        Assert.Equal(0, SetXattr(m["f"], "user.b", "x"u8));
        var probe = GetXattr(m["f"], "user.big", 0);
        Assert.Equal((3000L, 0), (probe.Length, probe.Errno));
        Assert.Equal(value, GetXattr(m["f"], "user.big", 3000).Value);
        var listProbe = ListXattr(m["f"], 0);
        Assert.Equal(("user.big\0user.b\0".Length, 0), ((int)listProbe.Length, listProbe.Errno));
    }

    [MountFact]
    public void Xattr_BufferTooSmall_IsERANGE()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, SetXattr(m["f"], "user.k", "0123456789"u8));
        Assert.Equal(Errno.ERANGE, GetXattr(m["f"], "user.k", 9).Errno);
        Assert.Equal(Errno.ERANGE, ListXattr(m["f"], 5).Errno);
    }

    [MountFact]
    public void Xattr_Missing_IsENODATA_AndOnDirectoriesItWorks()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.ENODATA, GetXattr(m["d"], "user.nothing", 64).Errno);
        Assert.Equal(0, SetXattr(m["d"], "user.d", "dir"u8));
        Assert.Equal("dir"u8.ToArray(), GetXattr(m["d"], "user.d", 64).Value);
        var l = ListXattr(m["d"], 256);
        Assert.Equal(new[] { "user.d" }, l.Names);
    }

    [MountFact]
    public void Xattr_UserNamespaceOnSymlink_IsEPERM()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(symlink("t", m["l"])));
        Assert.Equal(Errno.EPERM, SetXattr(m["l"], "user.k", "v"u8, nofollow: true)); // as ext4
    }

    // ---------------------------------------------------------------- access

    [MountFact]
    public void Access_FOk_ExistingAndMissing()
    {
        using var m = Mount(NoCache);
        Touch(m["f"], 0);
        Assert.Equal(0, Err(access(m["f"], F_OK)));
        Assert.Equal(Errno.ENOENT, Err(access(m["missing"], F_OK)));
    }

    [MountFact]
    public void Access_Root_ReadWriteAlways_ExecuteOnlyWithAnXBit()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(chmod(m["f"], 0)));
        Assert.Equal(0, Err(access(m["f"], R_OK | W_OK)));
        Assert.Equal(Errno.EACCES, Err(access(m["f"], X_OK)));
        Assert.Equal(0, Err(chmod(m["f"], 0x8))); // 0010: any x bit lets root execute
        Assert.Equal(0, Err(access(m["f"], X_OK)));
        Assert.Equal(0, Err(mkdir(m["d"], 0)));
        Assert.Equal(0, Err(access(m["d"], R_OK | W_OK | X_OK)));
    }

    public static TheoryData<string> PermissionModes => new() { "", "default_permissions" };

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void Access_OtherUid_FollowsOwnerGroupOtherBits(string extra)
    {
        using var m = Mount(NoCache + (extra.Length > 0 ? "," + extra : ""));
        Touch(m["f"]);
        Assert.Equal(0, Err(chown(m["f"], 1000, 2000)));
        Assert.Equal(0, Err(chmod(m["f"], 0x1E4))); // 0744: owner rwx, group r, other r
        int Acc(uint uid, uint gid, int mode) => As(uid, gid, () => Err(faccessat(AT_FDCWD, m["f"], mode, AT_EACCESS)));
        Assert.Equal(0, Acc(1000, 1000, R_OK | W_OK | X_OK));   // owner
        Assert.Equal(0, Acc(1001, 2000, R_OK));                 // group
        Assert.Equal(Errno.EACCES, Acc(1001, 2000, W_OK));
        Assert.Equal(Errno.EACCES, Acc(1001, 2000, X_OK));
        Assert.Equal(0, Acc(1002, 1002, R_OK));                 // other
        Assert.Equal(Errno.EACCES, Acc(1002, 1002, W_OK));
        Assert.Equal(0, Err(chmod(m["f"], 0x1C0)));             // 0700
        Assert.Equal(Errno.EACCES, Acc(1002, 1002, R_OK));
        Assert.Equal(0, Acc(1002, 1002, F_OK));
    }

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void OtherUid_CannotOpenAPrivateFile(string extra)
    {
        using var m = Mount(NoCache + (extra.Length > 0 ? "," + extra : ""));
        WriteFile(m["secret"], "s"u8, 0x180);
        Assert.Equal(0, Err(chmod(m["secret"], 0x180))); // 0600 root
        Assert.Equal(Errno.EACCES, As(1000, 1000, () => OpenErr(m["secret"], O_RDONLY, 0)));
        Assert.Equal(Errno.EACCES, As(1000, 1000, () => OpenErr(m["secret"], O_WRONLY, 0)));
        Assert.Equal(0, Err(chmod(m["secret"], 0x1A4))); // 0644
        int fd = As(1000, 1000, () => open(m["secret"], O_RDONLY, 0));
        Assert.True(fd >= 0);
        close(fd);
    }

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void OtherUid_CannotCreateOrRemoveInADirectoryWithoutWritePermission(string extra)
    {
        using var m = Mount(NoCache + (extra.Length > 0 ? "," + extra : ""));
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));     // 0755 root
        Touch(m["d/f"]);
        Assert.Equal(Errno.EACCES, As(1000, 1000, () => OpenErr(m["d/new"], O_WRONLY | O_CREAT, 0x1A4)));
        Assert.Equal(Errno.EACCES, As(1000, 1000, () => Err(mkdir(m["d/sub"], 0x1ED))));
        Assert.Equal(Errno.EACCES, As(1000, 1000, () => Err(unlink(m["d/f"]))));
        Assert.Equal(Errno.ENOENT, TryStat(m["d/new"], out _));
        Assert.Equal(0, TryStat(m["d/f"], out _));
    }

    [MountTheory]
    [MemberData(nameof(PermissionModes))]
    public void OtherUid_CannotChmodOrChownSomeoneElsesFile(string extra)
    {
        using var m = Mount(NoCache + (extra.Length > 0 ? "," + extra : ""));
        Touch(m["f"]);
        Assert.Equal(Errno.EPERM, As(1000, 1000, () => Err(chmod(m["f"], 0x1FF))));
        Assert.Equal(Errno.EPERM, As(1000, 1000, () => Err(chown(m["f"], 1000, 1000))));
        Assert.Equal(S_IFREG | 0x1A4u, Stat(m["f"]).Mode);
        Assert.Equal(0u, Stat(m["f"]).Uid);
    }

    // ---------------------------------------------------------------- fallocate

    [MountFact]
    public void Fallocate_Mode0_ExtendsTheSizeWithZeros()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            WriteAll(fd, "abc"u8);
            Assert.Equal(0, Err(fallocate(fd, 0, 0, 200_000)));
            var st = Fstat(fd);
            Assert.Equal(200_000, st.Size);
            Assert.True(st.Blocks * 512 >= 200_000, $"blocks {st.Blocks} must cover the allocation");
            var buf = new byte[200_000];
            Assert.Equal(200_000, PreadFull(fd, buf, 0));
            Assert.Equal("abc"u8.ToArray(), buf[..3]);
            Assert.True(buf.AsSpan(3).IndexOfAnyExcept((byte)0) < 0);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Fallocate_KeepSize_AllocatesWithoutChangingTheSize()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            WriteAll(fd, "abc"u8);
            long blocks0 = Fstat(fd).Blocks;
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20)));
            var st = Fstat(fd);
            Assert.Equal(3, st.Size);
            Assert.True(st.Blocks > blocks0 && st.Blocks * 512 >= 1 << 20, $"blocks {blocks0} -> {st.Blocks}");
            Assert.Equal("abc"u8.ToArray(), ReadFile(m["f"]));
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Fallocate_PunchHole_ReadsZerosAndKeepsTheSize()
    {
        using var m = Mount(NoCache);
        var data = Random(300_000, 7);
        WriteFile(m["f"], data);
        int fd = Open(m["f"], O_RDWR);
        try
        {
            long blocks0 = Fstat(fd).Blocks;
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 200_000)));
            var st = Fstat(fd);
            Assert.Equal(300_000, st.Size);
            Assert.True(st.Blocks < blocks0, $"punching whole chunks frees space ({blocks0} -> {st.Blocks})");
            var back = new byte[300_000];
            Assert.Equal(300_000, PreadFull(fd, back, 0));
            Assert.Equal(data[..1000], back[..1000]);
            Assert.True(back.AsSpan(1000, 200_000).IndexOfAnyExcept((byte)0) < 0, "the hole reads as zeros");
            Assert.Equal(data[201_000..], back[201_000..]);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Fallocate_PunchHoleWithoutKeepSize_IsEOPNOTSUPP()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], Random(10_000, 8));
        int fd = Open(m["f"], O_RDWR);
        try { Assert.Equal(Errno.EOPNOTSUPP, Err(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 100))); }
        finally { close(fd); }
    }

    [MountFact]
    public void Fallocate_ZeroRange_ZerosInsideAndExtendsPastTheEnd()
    {
        using var m = Mount(NoCache);
        var data = Random(100_000, 9);
        WriteFile(m["f"], data);
        int fd = Open(m["f"], O_RDWR);
        try
        {
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_ZERO_RANGE, 5, 70_000)));
            Assert.Equal(100_000, Fstat(fd).Size);
            var back = new byte[100_000];
            Assert.Equal(100_000, PreadFull(fd, back, 0));
            Assert.Equal(data[..5], back[..5]);
            Assert.True(back.AsSpan(5, 70_000).IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(data[70_005..], back[70_005..]);
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_ZERO_RANGE, 99_000, 11_000)));
            Assert.Equal(110_000, Fstat(fd).Size);
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 109_000, 50_000)));
            Assert.Equal(110_000, Fstat(fd).Size);
        }
        finally { close(fd); }
    }

    [MountTheory]
    [InlineData(FALLOC_FL_COLLAPSE_RANGE)]
    [InlineData(FALLOC_FL_INSERT_RANGE)]
    public void Fallocate_UnsupportedMode_IsEOPNOTSUPP(int mode)
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], Random(1 << 17, 10));
        int fd = Open(m["f"], O_RDWR);
        try
        {
            Assert.Equal(Errno.EOPNOTSUPP, Err(fallocate(fd, mode, 0, 65536)));
            Assert.Equal(1 << 17, Fstat(fd).Size);
        }
        finally { close(fd); }
    }

    // ---------------------------------------------------------------- lseek and copy_file_range

    [MountFact]
    public void SeekDataAndSeekHole_OnASparseFile()
    {
        using var m = Mount(NoCache);
        int fd = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            const long Mi = 1 << 20;
            PwriteAll(fd, Random(4096, 11), 0);
            PwriteAll(fd, Random(4096, 12), Mi);
            Assert.Equal(0, Err(ftruncate(fd, 3 * Mi)));
            Assert.Equal(0, lseek(fd, 0, SEEK_DATA));
            long hole0 = lseek(fd, 0, SEEK_HOLE);
            Assert.InRange(hole0, 4096, Mi - 1);             // the data ends somewhere in the first MiB (ext4: 4096)
            Assert.Equal(Mi, lseek(fd, hole0, SEEK_DATA));   // the next data is at 1 MiB
            long hole1 = lseek(fd, Mi, SEEK_HOLE);
            Assert.InRange(hole1, Mi + 4096, 2 * Mi);
            Assert.Equal(-1, lseek(fd, 2 * Mi, SEEK_DATA));  // only hole up to the end
            Assert.Equal(Errno.ENXIO, LastErrno);
            Assert.Equal(2 * Mi, lseek(fd, 2 * Mi, SEEK_HOLE));
            Assert.Equal(-1, lseek(fd, 3 * Mi, SEEK_DATA));  // at EOF
            Assert.Equal(Errno.ENXIO, LastErrno);
            Assert.Equal(-1, lseek(fd, 3 * Mi + 10, SEEK_HOLE)); // past EOF
            Assert.Equal(Errno.ENXIO, LastErrno);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void CopyFileRange_BetweenTwoFiles()
    {
        using var m = Mount(NoCache);
        var src = Random(200_000, 13);
        WriteFile(m["src"], src);
        int a = Open(m["src"], O_RDONLY);
        int b = Open(m["dst"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            long offIn = 1234, offOut = 77;
            long total = 0;
            while (total < 150_000)
            {
                long r = copy_file_range(a, &offIn, b, &offOut, (nuint)(150_000 - total), 0);
                Assert.True(r > 0, $"copy_file_range: {ErrName(LastErrno)}");
                total += r;
            }
            Assert.Equal(1234 + 150_000, offIn);
            Assert.Equal(77 + 150_000, offOut);
        }
        finally
        {
            close(a);
            close(b);
        }
        var dst = ReadFile(m["dst"]);
        Assert.Equal(77 + 150_000, dst.Length);
        Assert.True(dst.AsSpan(0, 77).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(Sha256(src.AsSpan(1234, 150_000)), Sha256(dst.AsSpan(77)));
    }

    [MountFact]
    public void CopyFileRange_WithinOneFile()
    {
        using var m = Mount(NoCache);
        var data = Random(100_000, 14);
        WriteFile(m["f"], data);
        int fd = Open(m["f"], O_RDWR);
        try
        {
            long offIn = 0, offOut = 150_000;
            long total = 0;
            while (total < 100_000)
            {
                long r = copy_file_range(fd, &offIn, fd, &offOut, (nuint)(100_000 - total), 0);
                Assert.True(r > 0, $"copy_file_range: {ErrName(LastErrno)}");
                total += r;
            }
            Assert.Equal(250_000, Fstat(fd).Size);
        }
        finally { close(fd); }
        var back = ReadFile(m["f"]);
        Assert.Equal(Sha256(data), Sha256(back.AsSpan(0, 100_000)));
        Assert.True(back.AsSpan(100_000, 50_000).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(Sha256(data), Sha256(back.AsSpan(150_000)));
    }

    [MountFact]
    public void CopyFileRange_PastTheSourceEnd_CopiesNothing()
    {
        using var m = Mount(NoCache);
        WriteFile(m["src"], "short"u8);
        int a = Open(m["src"], O_RDONLY);
        int b = Open(m["dst"], O_RDWR | O_CREAT, 0x1A4);
        try
        {
            long offIn = 100, offOut = 0;
            Assert.Equal(0, copy_file_range(a, &offIn, b, &offOut, 10, 0));
            Assert.Equal(0, Fstat(b).Size);
        }
        finally
        {
            close(a);
            close(b);
        }
    }
}

public sealed unsafe class FileIoTests_MemFs() : FileIoTests(FsKind.MemFs)
{
    // MemFs only: it reads MemFs's own space accounting (UsedBytes); a mirror of ext4 has nothing comparable
    // that other tests running in parallel on the same disk would not disturb.
    [MountFact]
    public void UnlinkedFile_DataIsFreedAfterTheLastClose()
    {
        using var m = Mount(NoCache);
        var fs = (Filesystems.MemFs)m.FileSystem;
        long used0 = fs.UsedBytes;
        WriteFile(m["f"], Random(1 << 20, 5));
        int fd = Open(m["f"], O_RDONLY);
        Assert.Equal(0, Err(unlink(m["f"])));
        Assert.True(fs.UsedBytes >= used0 + (1 << 20), "data held while open");
        close(fd);
        // RELEASE is asynchronous: give it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (fs.UsedBytes > used0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.Equal(used0, fs.UsedBytes);
    }
}

public sealed class FileIoTests_Loopback() : FileIoTests(FsKind.Loopback);

public sealed class FileIoTests_MemFs_FuseUring() : FileIoTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class FileIoTests_MemFs_Uring() : FileIoTests(FsKind.MemFs, TransportKind.Uring);
public sealed class FileIoTests_Loopback_FuseUring() : FileIoTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class FileIoTests_Loopback_Uring() : FileIoTests(FsKind.Loopback, TransportKind.Uring);
public sealed class FileIoTests_MemFs_Writeback() : FileIoTests(FsKind.MemFs);
public sealed class FileIoTests_Loopback_Writeback() : FileIoTests(FsKind.Loopback);
public sealed class FileIoTests_MemFs_FuseUring_Writeback() : FileIoTests(FsKind.MemFs, TransportKind.FuseUring);
