using System.Runtime.InteropServices;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// The opcodes of protocol 7.45 that used to have no row: TMPFILE (open(O_TMPFILE), named later by linkat), STATX
/// (statx asking for the birth time) and COPY_FILE_RANGE_64. Each answer is compared with the same calls on ext4,
/// and the request counts show the opcode reached the filesystem (the kernel falls back silently when it does not).
/// </summary>
public abstract unsafe class UnnamedFileTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const int O_TMPFILE = 0x410000;
    private const int AT_SYMLINK_FOLLOW = 0x400;
    private const uint STATX_BASIC_STATS = 0x7FF, STATX_BTIME = 0x800;

    [DllImport("libc", SetLastError = true)]
    private static extern int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    /// <summary>Give the O_TMPFILE file <paramref name="fd"/> the name <paramref name="path"/>, as the man page
    /// shows (the /proc magic link, followed); 0 or the errno.</summary>
    private static int Name(int fd, string path) => Err(linkat(AT_FDCWD, $"/proc/self/fd/{fd}", AT_FDCWD, path, AT_SYMLINK_FOLLOW));

    private static List<string> TmpfileScenario(string dir)
    {
        var t = new List<string>();
        var before = Directory.GetFileSystemEntries(dir).Length;
        int fd = Open(dir, O_TMPFILE | O_RDWR, 0x1A0);
        try
        {
            WriteAll(fd, "unnamed data"u8);
            var st = Fstat(fd);
            t.Add($"open: nlink {st.Nlink} mode {Convert.ToString(st.Perm, 8)} size {st.Size} type {st.Type:x}");
            t.Add($"names in dir: +{Directory.GetFileSystemEntries(dir).Length - before}");
            t.Add($"linkat: {ErrName(Name(fd, dir + "/named"))}");
            t.Add($"after: nlink {Fstat(fd).Nlink}, by name {System.Text.Encoding.UTF8.GetString(ReadFile(dir + "/named"))}, same inode {Stat(dir + "/named").Ino == Fstat(fd).Ino}");
            t.Add($"linkat again (a second name): {ErrName(Name(fd, dir + "/named2"))}");
        }
        finally { Close(fd); }

        // O_EXCL: never linkable. Write-only is enough for O_TMPFILE; read-only is refused by the VFS.
        fd = Open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0x180);
        try { t.Add($"O_EXCL linkat: {ErrName(Name(fd, dir + "/excl"))}"); }
        finally { Close(fd); }
        t.Add($"O_RDONLY: {ErrName(Err(open(dir, O_TMPFILE | O_RDONLY | O_CLOEXEC, 0x1A4)))}");

        // Unlinked again while open: the VFS cleared I_LINKABLE when it was named, so it cannot come back.
        fd = Open(dir, O_TMPFILE | O_RDWR, 0x1A0);
        try
        {
            t.Add($"name: {ErrName(Name(fd, dir + "/again"))}");
            Assert.Equal(0, Err(unlink(dir + "/again")));
            t.Add($"relink after unlink: {ErrName(Name(fd, dir + "/again"))}");
        }
        finally { Close(fd); }
        t.Add($"names at the end: {string.Join(",", Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order())}");
        return t;
    }

    [MountFact]
    public void Tmpfile_IsUnnamedUntilLinkatNamesIt_AsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            var want = TmpfileScenario(ext4);
            long inodes = m.FileSystem is MemFs mem ? mem.UsedInodes : 0;
            var got = TmpfileScenario(m.Path);
            Assert.Equal(want, got);
            // Counted after the reply went out: wait for the daemon to record it.
            Assert.True(Eventually(() => m.Session.Stats.CountOf(Opcode.Tmpfile) >= 3), "TMPFILE never reached the filesystem");
            if (m.FileSystem is MemFs mem2)
            {
                // One inode stays (named, named2); the two never named or unlinked again go at their RELEASE,
                // which the kernel sends after close returned.
                Eventually(() => mem2.UsedInodes == inodes + 1);
                Assert.Equal(inodes + 1, mem2.UsedInodes);
            }
            if (m.SourcePath is { } src)
                Assert.Equal(["named", "named2"], Directory.GetFileSystemEntries(src).Select(Path.GetFileName).Order());
        }
        finally { Directory.Delete(ext4, true); }
    }

    private static (uint Mask, long Sec, uint Nsec) Btime(string path)
    {
        byte* b = stackalloc byte[256];
        new Span<byte>(b, 256).Clear();
        Assert.Equal(0, Err(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS | STATX_BTIME, b)));
        return (*(uint*)b, *(long*)(b + 80), *(uint*)(b + 88));   // stx_mask, stx_btime
    }

    [MountFact]
    public void Statx_Btime_IsTheCreationTime_AndChangesNothingElse()
    {
        using var m = Mount(NoCache);
        long t0 = NowNs();
        Tick();
        WriteFile(m["f"], "x"u8);
        Tick();
        long t1 = NowNs();
        var b = Btime(m["f"]);
        Assert.True((b.Mask & STATX_BTIME) != 0, $"no btime in the mask {b.Mask:x}");
        long ns = b.Sec * 1_000_000_000L + b.Nsec;
        Assert.InRange(ns, t0, t1);
        Assert.True(Eventually(() => m.Session.Stats.CountOf(Opcode.Statx) > 0), "STATX never reached the filesystem");
        if (m.SourcePath is { } src)
            Assert.Equal(Btime(Path.Combine(src, "f")), b);   // the source's own birth time

        // Writes, chmod, rename and utimes change other times, never the birth time.
        Tick();
        WriteFile(m["f"], "longer now"u8);
        Assert.Equal(0, Err(chmod(m["f"], 0x180)));
        Assert.Equal(0, Err(rename(m["f"], m["g"])));
        var after = Btime(m["g"]);
        Assert.Equal(b, after);
        var st = Stat(m["g"]);
        Assert.Equal(10, st.Size);
        Assert.Equal(0x180u, st.Perm);
        Assert.True(Ns(st.Mtime) > ns);
    }

    [MountFact]
    public void CopyFileRange_GoesThroughTheWideOpcode()
    {
        using var m = Mount(NoCache);
        var data = Random(3 << 20, 5);
        WriteFile(m["a"], data);
        int a = Open(m["a"], O_RDONLY), b = Open(m["b"], O_WRONLY | O_CREAT, 0x1A4);
        try
        {
            long offIn = 4096, offOut = 0, total = 0;
            while (total < data.Length - 4096)
            {
                nint n = copy_file_range(a, &offIn, b, &offOut, (nuint)(data.Length - 4096 - total), 0);
                Assert.True(n > 0, $"copy_file_range: {ErrName(LastErrno)}");
                total += n;
            }
        }
        finally
        {
            Close(a);
            Close(b);
        }
        Assert.Equal(Sha256(data.AsSpan(4096)), Sha256(ReadFile(m["b"])));
        Assert.True(Eventually(() => m.Session.Stats.CountOf(Opcode.CopyFileRange64) > 0), "COPY_FILE_RANGE_64 never came");
        Assert.Equal(0, m.Session.Stats.CountOf(Opcode.CopyFileRange));
    }
}

public sealed class UnnamedFileTests_MemFs() : UnnamedFileTests(FsKind.MemFs);
public sealed class UnnamedFileTests_Loopback() : UnnamedFileTests(FsKind.Loopback);
public sealed class UnnamedFileTests_MemFs_Uring() : UnnamedFileTests(FsKind.MemFs, TransportKind.Uring);
public sealed class UnnamedFileTests_Loopback_Uring() : UnnamedFileTests(FsKind.Loopback, TransportKind.Uring);
public sealed class UnnamedFileTests_MemFs_FuseUring() : UnnamedFileTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class UnnamedFileTests_Loopback_FuseUring() : UnnamedFileTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class UnnamedFileTests_MemFs_Writeback() : UnnamedFileTests(FsKind.MemFs);
public sealed class UnnamedFileTests_Loopback_Writeback() : UnnamedFileTests(FsKind.Loopback);
