using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Inode flags through FUSE_IOCTL (FS_IOC_GETFLAGS/SETFLAGS, as chattr and lsattr use them): immutable and
/// append-only files and directories refuse what they refuse on ext4. The kernel applies none of these rules to a
/// FUSE inode, so MemFs enforces them itself and LoopbackFs leaves them to the source's filesystem. Every attempt runs
/// on ext4 and through the mount, and the two transcripts must be the same.
/// <para>Not run with writeback_cache: the kernel then takes a write into its page cache before the filesystem is
/// asked, so a descriptor opened for writing before chattr +i writes into the cache and the write fails only when it
/// reaches MemFs (reported at fsync or close). Opens, truncates, renames and the rest are refused as here.</para>
/// </summary>
public abstract unsafe class InodeFlagsTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const ulong FS_IOC_GETFLAGS = 0x80086601, FS_IOC_SETFLAGS = 0x40086602;
    private const uint Immutable = 0x10, Append = 0x20, Nodump = 0x40;
    /// <summary>The flags both filesystems keep (ext4 adds its own, such as extents, which MemFs does not have).</summary>
    private const uint Shared = Immutable | Append | Nodump | 0x80;

    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, ulong request, ref uint arg);

    private static uint GetFlags(string path)
    {
        int fd = Open(path, O_RDONLY | O_NONBLOCK);
        try
        {
            uint f = 0;
            Assert.Equal(0, Err(ioctl(fd, FS_IOC_GETFLAGS, ref f)));
            return f;
        }
        finally { Close(fd); }
    }

    /// <summary>chattr ±flag: read the flags, change one, write them back; 0 or the errno.</summary>
    private static int Chattr(string path, uint flag, bool on)
    {
        int fd = Open(path, O_RDONLY | O_NONBLOCK);
        try
        {
            uint f = 0;
            if (ioctl(fd, FS_IOC_GETFLAGS, ref f) < 0) return LastErrno;
            f = on ? f | flag : f & ~flag;
            return Err(ioctl(fd, FS_IOC_SETFLAGS, ref f));
        }
        finally { Close(fd); }
    }

    private static string TryOpen(string path, int flags)
    {
        int fd = open(path, flags | O_CLOEXEC, 0x1A4);
        if (fd < 0) return ErrName(LastErrno);
        close(fd);
        return "OK";
    }

    /// <summary>What a file with its flags set refuses; <paramref name="early"/> was opened for writing before.</summary>
    private static void FileAttempts(List<string> t, string dir, int early)
    {
        string f = dir + "/f";
        t.Add($"  lsattr: {Convert.ToString(GetFlags(f) & Shared, 16)}");
        byte x = (byte)'x';
        Timespec* times = stackalloc Timespec[2];
        times[0] = new Timespec(1000, 0);
        times[1] = new Timespec(2000, 0);
        t.Add($"  open r: {TryOpen(f, O_RDONLY)}, w: {TryOpen(f, O_WRONLY)}, w|append: {TryOpen(f, O_WRONLY | O_APPEND)}, w|trunc: {TryOpen(f, O_WRONLY | O_TRUNC)}");
        t.Add($"  early pwrite: {ErrName(Err(pwrite(early, &x, 1, 0)))}, ftruncate: {ErrName(Err(ftruncate(early, 1)))}");
        t.Add($"  fallocate: {ErrName(Err(fallocate(early, 0, 0, 8192)))}, keep size: {ErrName(Err(fallocate(early, FALLOC_FL_KEEP_SIZE, 0, 8192)))}");
        t.Add($"  truncate: {ErrName(Err(truncate(f, 1)))}, chmod: {ErrName(Err(chmod(f, 0x180)))}, chown: {ErrName(Err(chown(f, 0, 0)))}");
        t.Add($"  touch: {ErrName(Err(utimensat(AT_FDCWD, f, null, 0)))}, set times: {ErrName(Err(utimensat(AT_FDCWD, f, times, 0)))}");
        t.Add($"  setxattr: {ErrName(Err(setxattr(f, "user.a", &x, 1, 0)))}, removexattr: {ErrName(Err(removexattr(f, "user.none")))}, getxattr: {ErrName(Err(getxattr(f, "user.none", null, 0)))}");
        t.Add($"  link: {ErrName(Err(link(f, dir + "/f2")))}, rename: {ErrName(Err(rename(f, dir + "/f3")))}, unlink: {ErrName(Err(unlink(f)))}");
        string kept = dir + (TryStat(f, out _) == 0 ? "/f" : TryStat(dir + "/f3", out _) == 0 ? "/f3" : "/f2");
        t.Add($"  kept as {Path.GetFileName(kept)}: size {Stat(kept).Size}, starts {System.Text.Encoding.ASCII.GetString(ReadFile(kept).AsSpan(0, 1))}");
    }

    private static void DirAttempts(List<string> t, string dir)
    {
        string d = dir + "/d";
        t.Add($"  lsattr: {Convert.ToString(GetFlags(d) & Shared, 16)}");
        t.Add($"  create: {TryOpen(d + "/new" + t.Count, O_WRONLY | O_CREAT | O_EXCL)}, mkdir: {ErrName(Err(mkdir(d + "/sub" + t.Count, 0x1ED)))}");
        t.Add($"  write inside: {TryOpen(d + "/in", O_WRONLY)}, rename inside: {ErrName(Err(rename(d + "/in", d + "/in2")))}");
        t.Add($"  rename out: {ErrName(Err(rename(d + "/in", dir + "/out")))}, unlink: {ErrName(Err(unlink(d + "/in")))}, rename in: {ErrName(Err(rename(dir + "/loose", d + "/loose")))}");
        t.Add($"  names: {string.Join(",", Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Order())}");
    }

    private static List<string> Scenario(string dir)
    {
        var t = new List<string>();
        WriteFile(dir + "/f", "abc"u8);
        Assert.Equal(0, Err(mkdir(dir + "/d", 0x1ED)));
        WriteFile(dir + "/d/in", "in"u8);
        int early = Open(dir + "/f", O_WRONLY);
        try
        {
            t.Add($"+i: {ErrName(Chattr(dir + "/f", Immutable, true))}");
            FileAttempts(t, dir, early);
            t.Add($"-i: {ErrName(Chattr(dir + "/f", Immutable, false))}, +a: {ErrName(Chattr(dir + "/f", Append, true))}");
            FileAttempts(t, dir, early);
            t.Add($"-a: {ErrName(Chattr(dir + "/f", Append, false))}, +d: {ErrName(Chattr(dir + "/f", Nodump, true))}");
            FileAttempts(t, dir, early);
        }
        finally { Close(early); }

        WriteFile(dir + "/loose", "l"u8);
        t.Add($"dir +i: {ErrName(Chattr(dir + "/d", Immutable, true))}");
        DirAttempts(t, dir);
        t.Add($"dir -i: {ErrName(Chattr(dir + "/d", Immutable, false))}, +a: {ErrName(Chattr(dir + "/d", Append, true))}");
        DirAttempts(t, dir);
        t.Add($"dir -a: {ErrName(Chattr(dir + "/d", Append, false))}");
        DirAttempts(t, dir);
        return t;
    }

    /// <summary>Leave nothing a later rm -r cannot remove.</summary>
    private static void Unpin(string dir)
    {
        foreach (var p in Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Append(dir))
            if (Lstat(p).Type is S_IFREG or S_IFDIR)
            {
                Chattr(p, Immutable, false);
                Chattr(p, Append, false);
            }
    }

    [MountFact]
    public void ImmutableAndAppendOnly_RefuseWhatExt4Refuses()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            var want = Scenario(ext4);
            var got = Scenario(m.Path);
            Assert.Equal(want, got);
            Assert.True(Eventually(() => m.Session.Stats.CountOf(Opcode.Ioctl) > 0));
        }
        finally
        {
            Unpin(ext4);
            Unpin(m.Path);
            Directory.Delete(ext4, true);
        }
    }

    [MountFact]
    public void UnknownIoctl_IsENOTTY_AsOnExt4()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "x"u8);
        int fd = Open(m["f"], O_RDONLY);
        try
        {
            uint v = 0;
            Assert.Equal(-1, ioctl(fd, 0x80046699, ref v));   // _IOR('f', 0x99, int): no such command
            Assert.Equal(Errno.ENOTTY, LastErrno);
        }
        finally { Close(fd); }
    }
}

public sealed class InodeFlagsTests_MemFs() : InodeFlagsTests(FsKind.MemFs);
public sealed class InodeFlagsTests_Loopback() : InodeFlagsTests(FsKind.Loopback);
public sealed class InodeFlagsTests_MemFs_Uring() : InodeFlagsTests(FsKind.MemFs, TransportKind.Uring);
public sealed class InodeFlagsTests_Loopback_Uring() : InodeFlagsTests(FsKind.Loopback, TransportKind.Uring);
public sealed class InodeFlagsTests_MemFs_FuseUring() : InodeFlagsTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class InodeFlagsTests_Loopback_FuseUring() : InodeFlagsTests(FsKind.Loopback, TransportKind.FuseUring);
