using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Corners where a FUSE filesystem tends to differ from ext4: lseek edges, '/' in xattr names, file handles. Each
/// test asks the same question of a file on ext4 (the test's temporary directory is on the root filesystem) and of
/// one through the mount, and wants the same answer.
/// </summary>
public abstract unsafe class VfsCornerTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const long Mi = 1 << 20;

    /// <summary>64 KiB of data at 0 and at 1 MiB, then a hole up to the size of 3 MiB. 64 KiB: MemFs keeps data in
    /// 64 KiB chunks and ext4 in 4 KiB blocks, so extents of whole chunks have the same edges on both.</summary>
    private static void SparseLayout(int fd)
    {
        PwriteAll(fd, Random(65536, 11), 0);
        PwriteAll(fd, Random(65536, 12), Mi);
        Assert.Equal(0, Err(ftruncate(fd, 3 * Mi)));
    }

    private static (long Result, int Errno) Seek(int fd, long offset, int whence)
    {
        Assert.Equal(0, lseek(fd, 0, SEEK_SET));
        long r = lseek(fd, offset, whence);
        return (r, r < 0 ? LastErrno : 0);
    }

    [MountFact]
    public void Lseek_EveryWhenceAtEveryEdge_AnswersAsExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        int a = Open(m["f"], O_RDWR | O_CREAT, 0x1A4);
        int b = Open(ext4 + "/f", O_RDWR | O_CREAT, 0x1A4);
        try
        {
            SparseLayout(a);
            SparseLayout(b);
            long size = 3 * Mi;
            // Negative, in data, in the hole between, in the hole at the end, at EOF, past EOF. SEEK_SET/CUR/END past
            // 16 TiB differ by the kernel alone (ext4's s_maxbytes against FUSE's MAX_LFS_FILESIZE), so the far
            // offsets are asked of SEEK_DATA/SEEK_HOLE only: those reach the filesystem.
            long[] near = { -size - 1, -Mi, -4096, -1, 0, 1, 65536 + 10, Mi + 100, 2 * Mi + 100, size - 1, size, size + 1, size + Mi };
            long[] far = { long.MinValue, long.MinValue + 1, long.MaxValue, long.MaxValue - 4096, 1L << 44, 1L << 50 };
            int checkedCount = 0;
            foreach (int whence in new[] { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE })
                foreach (long off in whence >= SEEK_DATA ? near.Concat(far) : near)
                {
                    var want = Seek(b, off, whence);
                    var got = Seek(a, off, whence);
                    Assert.True(want == got, $"lseek({off}, {whence}): ext4 {want.Result}/{ErrName(want.Errno)}, mount {got.Result}/{ErrName(got.Errno)}");
                    checkedCount++;
                }
            Assert.Equal(5 * near.Length + 2 * far.Length, checkedCount);
            // The data in the middle is found where it is on ext4 too.
            Assert.Equal((Mi, 0), Seek(a, 65536 + 10, SEEK_DATA));
            Assert.Equal((65536L, 0), Seek(a, 1, SEEK_HOLE));
            Assert.Equal((-1L, Errno.ENXIO), Seek(a, -1, SEEK_DATA));
            Assert.Equal((-1L, Errno.ENXIO), Seek(a, -1, SEEK_HOLE));
        }
        finally
        {
            close(a);
            close(b);
            Directory.Delete(ext4, recursive: true);
        }
    }

    [MountFact]
    public void XattrNameWithSlash_IsAcceptedAsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            const string Name = "user.boo/hoo";
            var value = "slash in an attribute name"u8.ToArray();
            File.WriteAllText(ext4 + "/f", "x");
            Assert.Equal(0, SetXattr(ext4 + "/f", Name, value));          // what ext4 does
            WriteFile(m["f"], "x"u8.ToArray());
            Assert.Equal(0, SetXattr(m["f"], Name, value));
            var (len, e, got) = GetXattr(m["f"], Name, 256);
            Assert.Equal(0, e);
            Assert.Equal(value.Length, len);
            Assert.Equal(value, got);
            Assert.Contains(Name, ListXattr(m["f"], 4096).Names);
            Assert.Equal(Errno.EEXIST, SetXattr(m["f"], Name, value, flags: 1 /* XATTR_CREATE */));
            if (IsLoopback) Assert.Equal(value, GetXattr(m.SourcePath + "/f", Name, 256).Value);   // it is the source's attribute
            Assert.Equal(0, Err(removexattr(m["f"], Name)));
            Assert.Equal(Errno.ENODATA, GetXattr(m["f"], Name, 256).Errno);
            Assert.Equal(Errno.ENODATA, Err(removexattr(m["f"], Name)));
            Assert.DoesNotContain(Name, ListXattr(m["f"], 4096).Names);
            // Names with '/' are still refused where they are file names: the kernel never sends one, and a path with
            // a slash is a path, so this creates "a" in the directory "d" or fails as on ext4.
            Assert.Equal(Errno.ENOENT, Err(mkdir(m["nodir/x"], 0x1ED)));
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    /// <summary>
    /// File handles: the runtime does not claim export support (its node ids do not outlive FORGET or the mount), so
    /// the kernel says EOPNOTSUPP at name_to_handle_at, as on a filesystem without handles, instead of handing out a
    /// handle that open_by_handle_at refuses with ESTALE later.
    /// </summary>
    [MountFact]
    public void NameToHandleAt_IsEOPNOTSUPP_NotAHandleThatGoesStale()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "x"u8.ToArray());
        Directory.CreateDirectory(m["d"]);
        var buf = new byte[8 + 128];
        fixed (byte* h = buf)
        {
            *(uint*)h = 128;                                      // handle_bytes
            int mountId;
            foreach (var path in new[] { m["f"], m["d"], m.Path })
            {
                int r = name_to_handle_at(AT_FDCWD, path, h, &mountId, 0);
                Assert.True(r == -1 && LastErrno == Errno.EOPNOTSUPP, $"name_to_handle_at({path}) = {r} / {ErrName(LastErrno)}");
            }
        }
        Assert.False(m.Session.Connection.Has(InitFlags.ExportSupport));
        Assert.True(m.Session.Connection.Has(InitFlags.NoExportSupport), "the kernel (7.40+) takes NO_EXPORT_SUPPORT");
    }
}

public sealed class VfsCornerTests_MemFs() : VfsCornerTests(FsKind.MemFs);
public sealed class VfsCornerTests_Loopback() : VfsCornerTests(FsKind.Loopback);
public sealed class VfsCornerTests_MemFs_FuseUring() : VfsCornerTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class VfsCornerTests_MemFs_Uring() : VfsCornerTests(FsKind.MemFs, TransportKind.Uring);
public sealed class VfsCornerTests_Loopback_FuseUring() : VfsCornerTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class VfsCornerTests_Loopback_Uring() : VfsCornerTests(FsKind.Loopback, TransportKind.Uring);
public sealed class VfsCornerTests_MemFs_Writeback() : VfsCornerTests(FsKind.MemFs);
public sealed class VfsCornerTests_Loopback_Writeback() : VfsCornerTests(FsKind.Loopback);
