using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Differential;

/// <summary>
/// The differences the differential run finds in MemFs, each on its own, against ext4 (the reference):
/// <list type="bullet">
/// <item>fallocate (mode 0 or KEEP_SIZE) of a range inside a file does not change its size, and ext4 still
/// updates mtime and ctime; MemFs leaves both unchanged (it updates them only when the size grows, or for
/// ZERO_RANGE / PUNCH_HOLE).</item>
/// <item>setxattr of a value equal to the one the attribute already has: ext4 changes nothing (ctime kept);
/// MemFs updates ctime.</item>
/// </list>
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MemFsTimestampTests
{
    /// <summary>Write 64 KiB, fallocate a range inside it; answers (mtime changed, ctime changed, size).</summary>
    private static (bool M, bool C, long Size) FallocateInside(string file, int mode)
    {
        WriteFile(file, new byte[65536]);
        var before = Stat(file);
        MountTestUtil.Tick();
        int fd = Open(file, O_RDWR);
        try { Assert.Equal(0, Err(fallocate(fd, mode, 4096, 8192))); }
        finally { Close(fd); }
        var after = Stat(file);
        return (after.Mtime != before.Mtime, after.Ctime != before.Ctime, after.Size);
    }

    [MountTheory]
    [InlineData(0)]
    [InlineData(FALLOC_FL_KEEP_SIZE)]
    public void FallocateInsideTheFile_UpdatesMtimeAndCtime_AsExt4Does(int mode)
    {
        var dir = Directory.CreateTempSubdirectory("fastfuse-falloc-").FullName;
        try
        {
            Assert.Equal(0xEF53, Statfs(dir).Type);
            var reference = FallocateInside(Path.Combine(dir, "f"), mode);
            Assert.Equal((true, true, 65536L), reference); // what ext4 does (the reference of the differential test)
            using var m = MountedFs.MemFs();
            Assert.Equal(reference, FallocateInside(m["f"], mode));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Set user.x to <paramref name="value"/> twice; answers whether the second set changed ctime.</summary>
    private static bool SetSameXattrTwice_ChangesCtime(string path, byte[] value)
    {
        Assert.Equal(0, SetXattr(path, "user.x", value));
        var before = Stat(path, nofollow: true);
        MountTestUtil.Tick();
        Assert.Equal(0, SetXattr(path, "user.x", value));
        return Stat(path, nofollow: true).Ctime != before.Ctime;
    }

    [MountTheory]
    [InlineData(0, false)]
    [InlineData(5, false)]
    [InlineData(0, true)]
    [InlineData(5, true)]
    public void SetxattrOfTheSameValue_LeavesCtime_AsExt4Does(int length, bool directory)
    {
        var dir = Directory.CreateTempSubdirectory("fastfuse-xattr-").FullName;
        try
        {
            Assert.Equal(0xEF53, Statfs(dir).Type);
            var value = MountTestUtil.Random(length, 1);
            string Target(string root)
            {
                string p = System.IO.Path.Combine(root, "x");
                if (directory) Directory.CreateDirectory(p); else WriteFile(p, "data"u8);
                return p;
            }
            Assert.False(SetSameXattrTwice_ChangesCtime(Target(dir), value)); // ext4: an unchanged value changes nothing
            using var m = MountedFs.MemFs();
            Assert.False(SetSameXattrTwice_ChangesCtime(Target(m.Path), value), "MemFs updated ctime for a setxattr that changed nothing");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
