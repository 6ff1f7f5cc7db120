using System.Runtime.InteropServices;
using System.Text;

namespace FastFuse.Tests.Infrastructure;

/// <summary>What statx(2) reported (the fields the mount tests look at).</summary>
public readonly record struct StatxInfo(
    uint Mask, uint BlkSize, uint Nlink, uint Uid, uint Gid, uint Mode, ulong Ino, long Size, long Blocks,
    long AtimeSec, uint AtimeNsec, long CtimeSec, uint CtimeNsec, long MtimeSec, uint MtimeNsec, uint RdevMajor, uint RdevMinor)
{
    public uint Perm => Mode & 0xFFF;
    public uint Type => Mode & 0xF000;
    public (long, uint) Atime => (AtimeSec, AtimeNsec);
    public (long, uint) Mtime => (MtimeSec, MtimeNsec);
    public (long, uint) Ctime => (CtimeSec, CtimeNsec);
}

/// <summary>What statfs(2) reported.</summary>
public readonly record struct StatfsInfo(long Type, long Bsize, ulong Blocks, ulong Bfree, ulong Bavail, ulong Files, ulong Ffree, long Namelen, long Frsize);

/// <summary>A failed syscall: the errno it left.</summary>
public sealed class PosixException(string call, int errno) : Exception($"{call}: {Kernel.Errno.Name(errno)} ({errno})")
{
    public int Errno { get; } = errno;
}

/// <summary>
/// The syscalls the mount tests make that .NET does not offer (glibc wrappers, errno through
/// <see cref="Marshal.GetLastPInvokeError"/>). Raw calls keep their libc names and return -1 on failure;
/// <see cref="Err"/> turns a result into 0 or the errno; the PascalCase helpers throw <see cref="PosixException"/>.
/// </summary>
public static unsafe class Posix
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000,
        O_PATH = 0x200000, O_DIRECT = 0x4000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EACCESS = 0x200,
        AT_EMPTY_PATH = 0x1000;
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    public const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_COLLAPSE_RANGE = 8,
        FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20;
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
    public const int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    public const long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;
    public const int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFIFO = 0x1000,
        S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFSOCK = 0xC000, S_ISUID = 0x800, S_ISGID = 0x400, S_ISVTX = 0x200;
    public const byte DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;
    private const uint STATX_BASIC_STATS = 0x7FF;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Sec;
        public long Nsec;
        public Timespec(long sec, long nsec) { Sec = sec; Nsec = nsec; }
    }

    // ------------------------------------------------------------------ raw libc

    [DllImport(Lib, SetLastError = true)] public static extern int open(string path, int flags, int mode);
    [DllImport(Lib, SetLastError = true)] public static extern int openat(int dirfd, string path, int flags, int mode);
    [DllImport(Lib, SetLastError = true)] public static extern int close(int fd);
    [DllImport(Lib, SetLastError = true)] public static extern int fcntl(int fd, int cmd, ref Flock lk);
    [DllImport(Lib, SetLastError = true)] public static extern int flock(int fd, int operation);
    public const int F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
    public const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    /// <summary>struct flock (x86-64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
        public Flock(short type, long start, long len) { Type = type; Whence = 0; Start = start; Len = len; Pid = 0; }
    }

    /// <summary>fcntl with a struct flock: 0 or the errno.</summary>
    public static int Lock(int fd, int cmd, short type, long start, long len)
    {
        var lk = new Flock(type, start, len);
        return Err(fcntl(fd, cmd, ref lk));
    }
    [DllImport(Lib, SetLastError = true, EntryPoint = "pread64")] public static extern nint pread(int fd, byte* buf, nuint count, long offset);
    [DllImport(Lib, SetLastError = true, EntryPoint = "pwrite64")] public static extern nint pwrite(int fd, byte* buf, nuint count, long offset);
    [DllImport(Lib, SetLastError = true)] public static extern nint read(int fd, byte* buf, nuint count);
    [DllImport(Lib, SetLastError = true)] public static extern nint write(int fd, byte* buf, nuint count);
    [DllImport(Lib, SetLastError = true)] public static extern int rename(string oldpath, string newpath);
    [DllImport(Lib, SetLastError = true)] public static extern int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
    [DllImport(Lib, SetLastError = true)] public static extern int link(string oldpath, string newpath);
    [DllImport(Lib, SetLastError = true)] public static extern int symlink(string target, string linkpath);
    [DllImport(Lib, SetLastError = true)] public static extern nint readlink(string path, byte* buf, nuint size);
    [DllImport(Lib, SetLastError = true)] public static extern int mknod(string path, uint mode, ulong dev);
    [DllImport(Lib, SetLastError = true)] public static extern int mkfifo(string path, uint mode);
    [DllImport(Lib, SetLastError = true)] public static extern int mkdir(string path, uint mode);
    [DllImport(Lib, SetLastError = true)] public static extern int mkdirat(int dirfd, string path, uint mode);
    [DllImport(Lib, SetLastError = true)] public static extern int rmdir(string path);
    [DllImport(Lib, SetLastError = true)] public static extern int unlink(string path);
    [DllImport(Lib, SetLastError = true)] public static extern int unlinkat(int dirfd, string path, int flags);
    [DllImport(Lib, SetLastError = true, EntryPoint = "fallocate64")] public static extern int fallocate(int fd, int mode, long offset, long len);
    [DllImport(Lib, SetLastError = true, EntryPoint = "lseek64")] public static extern long lseek(int fd, long offset, int whence);
    [DllImport(Lib, SetLastError = true)] public static extern nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nuint len, uint flags);
    [DllImport(Lib, SetLastError = true)] public static extern int setxattr(string path, string name, byte* value, nuint size, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern int lsetxattr(string path, string name, byte* value, nuint size, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern nint getxattr(string path, string name, byte* value, nuint size);
    [DllImport(Lib, SetLastError = true)] public static extern nint lgetxattr(string path, string name, byte* value, nuint size);
    [DllImport(Lib, SetLastError = true)] public static extern nint listxattr(string path, byte* list, nuint size);
    [DllImport(Lib, SetLastError = true)] public static extern int removexattr(string path, string name);
    [DllImport(Lib, SetLastError = true)] public static extern int name_to_handle_at(int dirfd, string path, byte* handle, int* mountId, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern int utimensat(int dirfd, string path, Timespec* times, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern int fchmodat(int dirfd, string path, uint mode, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern int chmod(string path, uint mode);
    [DllImport(Lib, SetLastError = true)] public static extern int chown(string path, uint owner, uint group);
    [DllImport(Lib, SetLastError = true)] public static extern int lchown(string path, uint owner, uint group);
    [DllImport(Lib, SetLastError = true, EntryPoint = "truncate64")] public static extern int truncate(string path, long length);
    [DllImport(Lib, SetLastError = true, EntryPoint = "ftruncate64")] public static extern int ftruncate(int fd, long length);
    [DllImport(Lib, SetLastError = true)] public static extern int fsync(int fd);
    [DllImport(Lib, SetLastError = true)] public static extern int fdatasync(int fd);
    [DllImport(Lib, SetLastError = true)] public static extern int statx(int dirfd, string path, int flags, uint mask, byte* buf);
    [DllImport(Lib, SetLastError = true, EntryPoint = "statfs64")] public static extern int statfs(string path, byte* buf);
    [DllImport(Lib, SetLastError = true)] public static extern int access(string path, int mode);
    [DllImport(Lib, SetLastError = true)] public static extern int faccessat(int dirfd, string path, int mode, int flags);
    [DllImport(Lib, SetLastError = true)] public static extern uint umask(uint mask);
    [DllImport(Lib, SetLastError = true)] public static extern int setfsuid(uint uid);
    [DllImport(Lib, SetLastError = true)] public static extern int setfsgid(uint gid);
    [DllImport(Lib, SetLastError = true)] public static extern nint getdents64(int fd, byte* buf, nuint count);

    // ------------------------------------------------------------------ errno

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>0 when <paramref name="result"/> is not negative, else the errno the call left (read right after the call).</summary>
    public static int Err(long result) => result < 0 ? Marshal.GetLastPInvokeError() : 0;

    private static long Check(long result, string call, string? path = null)
    {
        if (result < 0) throw new PosixException(path is null ? call : $"{call}({path})", Marshal.GetLastPInvokeError());
        return result;
    }

    public static string ErrName(int errno) => errno == 0 ? "OK" : Kernel.Errno.Name(errno);

    // ------------------------------------------------------------------ throwing helpers

    public static int Open(string path, int flags, int mode = 0x1A4) => (int)Check(open(path, flags | O_CLOEXEC, mode), "open", path);

    public static void Close(int fd) => Check(close(fd), "close");

    public static void PwriteAll(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                long w = Check(pwrite(fd, p + done, (nuint)(data.Length - done), offset + done), "pwrite");
                if (w == 0) throw new IOException("pwrite wrote nothing");
                done += (int)w;
            }
        }
    }

    public static int Pread(int fd, Span<byte> buf, long offset)
    {
        fixed (byte* p = buf) return (int)Check(pread(fd, p, (nuint)buf.Length, offset), "pread");
    }

    /// <summary>Read until <paramref name="buf"/> is full or end of file; returns the bytes read.</summary>
    public static int PreadFull(int fd, Span<byte> buf, long offset)
    {
        int done = 0;
        while (done < buf.Length)
        {
            int r = Pread(fd, buf[done..], offset + done);
            if (r == 0) break;
            done += r;
        }
        return done;
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length) done += (int)Check(write(fd, p + done, (nuint)(data.Length - done)), "write");
        }
    }

    public static void WriteFile(string path, ReadOnlySpan<byte> data, int mode = 0x1A4)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
        try { WriteAll(fd, data); } finally { close(fd); }
    }

    public static byte[] ReadFile(string path)
    {
        int fd = Open(path, O_RDONLY);
        try
        {
            var ms = new MemoryStream();
            var buf = new byte[65536];
            long off = 0;
            while (true)
            {
                int r = Pread(fd, buf, off);
                if (r == 0) break;
                ms.Write(buf, 0, r);
                off += r;
            }
            return ms.ToArray();
        }
        finally { close(fd); }
    }

    /// <summary>open(2) then close at once: 0 or the errno (never leaks an fd that would keep the mount busy).</summary>
    public static int OpenErr(string path, int flags, int mode = 0x1A4)
    {
        int fd = open(path, flags | O_CLOEXEC, mode);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        close(fd);
        return 0;
    }

    /// <summary>Create an empty file (open O_CREAT|O_EXCL, close).</summary>
    public static void Touch(string path, int mode = 0x1A4) => Close(Open(path, O_WRONLY | O_CREAT | O_EXCL, mode));

    public static StatxInfo Stat(string path, bool nofollow = false)
    {
        var r = TryStat(path, out var st, nofollow);
        if (r != 0) throw new PosixException($"statx({path})", r);
        return st;
    }

    public static StatxInfo Lstat(string path) => Stat(path, nofollow: true);

    /// <summary>statx; 0 or the errno.</summary>
    public static int TryStat(string path, out StatxInfo st, bool nofollow = false)
    {
        byte* b = stackalloc byte[256];
        new Span<byte>(b, 256).Clear();
        if (statx(AT_FDCWD, path, nofollow ? AT_SYMLINK_NOFOLLOW : 0, STATX_BASIC_STATS, b) < 0)
        {
            st = default;
            return Marshal.GetLastPInvokeError();
        }
        st = Parse(b);
        return 0;
    }

    public static StatxInfo Fstat(int fd)
    {
        byte* b = stackalloc byte[256];
        new Span<byte>(b, 256).Clear();
        Check(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, b), "fstat");
        return Parse(b);
    }

    public static StatxInfo StatAt(int dirfd, string path, bool nofollow = false)
    {
        byte* b = stackalloc byte[256];
        new Span<byte>(b, 256).Clear();
        Check(statx(dirfd, path, nofollow ? AT_SYMLINK_NOFOLLOW : 0, STATX_BASIC_STATS, b), "statx", path);
        return Parse(b);
    }

    private static StatxInfo Parse(byte* b) => new(
        Mask: *(uint*)(b + 0), BlkSize: *(uint*)(b + 4), Nlink: *(uint*)(b + 16), Uid: *(uint*)(b + 20), Gid: *(uint*)(b + 24),
        Mode: *(ushort*)(b + 28), Ino: *(ulong*)(b + 32), Size: *(long*)(b + 40), Blocks: *(long*)(b + 48),
        AtimeSec: *(long*)(b + 64), AtimeNsec: *(uint*)(b + 72),
        CtimeSec: *(long*)(b + 96), CtimeNsec: *(uint*)(b + 104),
        MtimeSec: *(long*)(b + 112), MtimeNsec: *(uint*)(b + 120),
        RdevMajor: *(uint*)(b + 128), RdevMinor: *(uint*)(b + 132));

    public static StatfsInfo Statfs(string path)
    {
        long* b = stackalloc long[16];
        Check(statfs(path, (byte*)b), "statfs", path);
        // struct statfs64 (x86-64): type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags, spare[4]
        return new StatfsInfo(b[0], b[1], (ulong)b[2], (ulong)b[3], (ulong)b[4], (ulong)b[5], (ulong)b[6], b[8], b[9]);
    }

    public static int Utimens(string path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec, bool nofollow = false)
    {
        var t = stackalloc Timespec[2];
        t[0] = new Timespec(atimeSec, atimeNsec);
        t[1] = new Timespec(mtimeSec, mtimeNsec);
        return Err(utimensat(AT_FDCWD, path, t, nofollow ? AT_SYMLINK_NOFOLLOW : 0));
    }

    public static string ReadLink(string path)
    {
        var buf = new byte[8192];
        fixed (byte* p = buf)
        {
            long n = Check(readlink(path, p, (nuint)buf.Length), "readlink", path);
            return Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }

    public static int SetXattr(string path, string name, ReadOnlySpan<byte> value, int flags = 0, bool nofollow = false)
    {
        fixed (byte* p = value)
        {
            byte dummy = 0;
            byte* v = p == null ? &dummy : p;
            return Err(nofollow ? lsetxattr(path, name, v, (nuint)value.Length, flags) : setxattr(path, name, v, (nuint)value.Length, flags));
        }
    }

    /// <summary>getxattr into a buffer of <paramref name="size"/> bytes: (result length or -1, errno, bytes).</summary>
    public static (long Length, int Errno, byte[] Value) GetXattr(string path, string name, int size, bool nofollow = false)
    {
        var buf = new byte[Math.Max(size, 1)];
        fixed (byte* p = buf)
        {
            long r = nofollow ? lgetxattr(path, name, size == 0 ? null : p, (nuint)size) : getxattr(path, name, size == 0 ? null : p, (nuint)size);
            int e = Err(r);
            return (r, e, r > 0 ? buf.AsSpan(0, (int)Math.Min(r, size)).ToArray() : Array.Empty<byte>());
        }
    }

    /// <summary>listxattr into a buffer of <paramref name="size"/> bytes: (result length or -1, errno, names).</summary>
    public static (long Length, int Errno, string[] Names) ListXattr(string path, int size)
    {
        var buf = new byte[Math.Max(size, 1)];
        fixed (byte* p = buf)
        {
            long r = listxattr(path, size == 0 ? null : p, (nuint)size);
            int e = Err(r);
            string[] names = r > 0 && size > 0
                ? Encoding.UTF8.GetString(buf, 0, (int)r).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                : Array.Empty<string>();
            return (r, e, names);
        }
    }

    /// <summary>One getdents64 record.</summary>
    public readonly record struct Dirent(ulong Ino, long Off, byte Type, string Name);

    /// <summary>Every entry of a directory as getdents64 returns them (with "." and "..").</summary>
    public static List<Dirent> ReadDir(string path, int bufferSize = 32768)
    {
        int fd = Open(path, O_RDONLY | O_DIRECTORY);
        try
        {
            var all = new List<Dirent>();
            while (true)
            {
                var batch = GetDents(fd, bufferSize);
                if (batch.Count == 0) return all;
                all.AddRange(batch);
            }
        }
        finally { close(fd); }
    }

    /// <summary>One getdents64 call on an open directory: the records it returned (empty at the end).</summary>
    public static List<Dirent> GetDents(int fd, int bufferSize)
    {
        var buf = new byte[bufferSize];
        var list = new List<Dirent>();
        fixed (byte* p = buf)
        {
            long n = Check(getdents64(fd, p, (nuint)buf.Length), "getdents64");
            for (long pos = 0; pos < n;)
            {
                byte* r = p + pos;
                ulong ino = *(ulong*)r;
                long off = *(long*)(r + 8);
                ushort reclen = *(ushort*)(r + 16);
                byte type = r[18];
                int len = 0;
                while (r[19 + len] != 0) len++;
                list.Add(new Dirent(ino, off, type, Encoding.UTF8.GetString(r + 19, len)));
                pos += reclen;
            }
        }
        return list;
    }

    /// <summary>Run <paramref name="action"/> on this thread with filesystem uid/gid set (setfsuid/setfsgid are per thread), then restore root.</summary>
    public static T As<T>(uint uid, uint gid, Func<T> action)
    {
        setfsgid(gid);
        setfsuid(uid);
        try
        {
            if (setfsuid(uid) != (int)uid || setfsgid(gid) != (int)gid) throw new InvalidOperationException("setfsuid/setfsgid did not take");
            return action();
        }
        finally
        {
            setfsuid(0);
            setfsgid(0);
        }
    }

    public static void As(uint uid, uint gid, Action action) => As(uid, gid, () => { action(); return 0; });
}
