using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>DirectMount and fusermount3 each mount and unmount; mount → unmount → mount again in one process.</summary>
public abstract class MountMethodTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const long FuseSuperMagic = 0x65735546;

    /// <summary>The /proc/self/mountinfo line whose mount point is <paramref name="path"/>, or null.</summary>
    private static string? MountinfoLine(string path) =>
        File.ReadAllLines("/proc/self/mountinfo").LastOrDefault(l => l.Split(' ')[4] == path);

    private static string TempMountpoint(out string parent)
    {
        parent = Directory.CreateTempSubdirectory("fastfuse-mnt-").FullName;
        string path = Path.Combine(parent, "mnt");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Mounts a fresh filesystem of <see cref="MountTestBase.Kind"/> on <paramref name="path"/>; a LoopbackFs mirrors
    /// a new empty directory next to it. Disposing the session does not dispose the filesystem: see <see cref="Release"/>.</summary>
    private FuseSession MountFs(string path, string options)
    {
        var mo = MountOptions.Parse("fsname=fastfuse-test,subtype=mtest" + (options.Length > 0 ? "," + options : ""));
        IRawFileSystem fs;
        if (IsMemFs) fs = new MemFs(MountedFs.MemFsOptionsFrom(options));
        else
        {
            string src = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(path)!, "src-" + Guid.NewGuid().ToString("N"))).FullName;
            fs = new LoopbackFs(src, MountedFs.LoopbackOptionsFrom(options));
        }
        var s = FuseSession.Mount(fs, path, mo, new SessionOptions { Threads = 2 });
        _filesystems[s] = fs;
        s.Start();
        Assert.True(s.WaitForInit(TimeSpan.FromSeconds(10)), "INIT");
        return s;
    }

    private readonly Dictionary<FuseSession, IRawFileSystem> _filesystems = new();

    /// <summary>Disposes the session and then its filesystem (a LoopbackFs holds descriptors of its source).</summary>
    private void Release(FuseSession s)
    {
        s.Dispose();
        if (_filesystems.Remove(s, out var fs)) (fs as IDisposable)?.Dispose();
    }

    [MountTheory]
    [InlineData("", MountMethod.DirectMount)]
    [InlineData("fusermount", MountMethod.Fusermount)]
    public void MountRoundTripUnmount_LeavesAPlainEmptyDirectory(string options, MountMethod method)
    {
        string path = TempMountpoint(out string parent);
        try
        {
            var s = MountFs(path, options);
            try
            {
                Assert.Equal(method, s.MountHandle!.Method);
                var line = MountinfoLine(path);
                Assert.NotNull(line);
                Assert.Contains(" - fuse.mtest fastfuse-test ", line);
                Assert.Equal(FuseSuperMagic, Statfs(path).Type);
                var data = Random(100_000, 42);
                WriteFile(path + "/file", data);
                Assert.Equal(Sha256(data), Sha256(ReadFile(path + "/file")));
                Assert.Equal(0, s.Unmount());
            }
            finally { Release(s); }
            Assert.Null(MountinfoLine(path));
            Assert.True(Directory.Exists(path));
            Assert.Empty(Directory.EnumerateFileSystemEntries(path));
            Assert.NotEqual(FuseSuperMagic, Statfs(path).Type);
        }
        finally
        {
            if (MountinfoLine(path) is not null) FastFuse.Interop.Libc.Umount2(path, 2);
            Directory.Delete(parent, recursive: true);
        }
    }

    [MountFact]
    public void MountUnmountMountAgain_InOneProcess()
    {
        string path = TempMountpoint(out string parent);
        try
        {
            foreach (var options in new[] { "", "", "fusermount", "" })
            {
                var s = MountFs(path, options);
                try
                {
                    Assert.NotNull(MountinfoLine(path));
                    Assert.DoesNotContain(ReadDir(path), e => e.Name is not "." and not ".."); // a fresh filesystem (a fresh source) each time
                    WriteFile(path + "/x", "round"u8);
                    Assert.Equal("round"u8.ToArray(), ReadFile(path + "/x"));
                    Assert.Equal(0, s.Unmount());
                }
                finally { Release(s); }
                Assert.Null(MountinfoLine(path));
                Assert.Empty(Directory.EnumerateFileSystemEntries(path));
            }
        }
        finally
        {
            if (MountinfoLine(path) is not null) FastFuse.Interop.Libc.Umount2(path, 2);
            Directory.Delete(parent, recursive: true);
        }
    }

    [MountFact]
    public void UnmountWithAnOpenFile_IsEBUSY_LazyUnmountDetaches()
    {
        string path = TempMountpoint(out string parent);
        try
        {
            var s = MountFs(path, "");
            try
            {
                int fd = Open(path + "/held", O_RDWR | O_CREAT, 0x1A4);
                try
                {
                    Assert.Equal(FastFuse.Kernel.Errno.EBUSY, s.Unmount());
                    Assert.NotNull(MountinfoLine(path));
                }
                finally { close(fd); }
                Assert.Equal(0, s.Unmount());
            }
            finally { Release(s); }
            Assert.Null(MountinfoLine(path));
        }
        finally
        {
            if (MountinfoLine(path) is not null) FastFuse.Interop.Libc.Umount2(path, 2);
            Directory.Delete(parent, recursive: true);
        }
    }
}

public sealed class MountMethodTests_MemFs() : MountMethodTests(FsKind.MemFs);
public sealed class MountMethodTests_Loopback() : MountMethodTests(FsKind.Loopback);

public sealed class MountMethodTests_MemFs_FuseUring() : MountMethodTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class MountMethodTests_MemFs_Uring() : MountMethodTests(FsKind.MemFs, TransportKind.Uring);
public sealed class MountMethodTests_Loopback_FuseUring() : MountMethodTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class MountMethodTests_Loopback_Uring() : MountMethodTests(FsKind.Loopback, TransportKind.Uring);
