using System.Runtime.InteropServices;
using FastFuse.Interop;

namespace FastFuse.Filesystems.Native;

/// <summary>
/// The libc calls <see cref="LoopbackFs"/> makes: the *at family relative to O_PATH descriptors, file I/O on
/// real descriptors, xattrs, and the per-thread credential calls.
/// <para>Why the unsafe parts are safe: every pointer passed here is to memory the caller owns for the whole
/// call — a <c>stackalloc</c> buffer, a <c>fixed</c> pinned array, a local struct, or native memory owned by a
/// handle the caller holds a lock on. libc does not keep any of these pointers after returning. Paths are
/// always NUL-terminated by the caller (see <see cref="LoopbackFs"/>'s <c>CString</c> helper). Every call
/// returns -1 and leaves errno, read with <see cref="Marshal.GetLastPInvokeError"/>.</para>
/// </summary>
internal static unsafe partial class LoopSys
{
    private const string Lib = "libc";

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EACCESS = 0x200;
    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const int AT_EMPTY_PATH = 0x1000;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0x40, O_EXCL = 0x80,
        O_NOCTTY = 0x100, O_TRUNC = 0x200, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000, O_TMPFILE = 0x410000 /* __O_TMPFILE | O_DIRECTORY */;

    public const int SEEK_SET = 0;
    public const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>struct statfs on 64-bit Linux (x86_64, arm64: the generic layout, 120 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatfsBuf
    {
        public long Type;
        public long Bsize;
        public ulong Blocks;
        public ulong Bfree;
        public ulong Bavail;
        public ulong Files;
        public ulong Ffree;
        public ulong Fsid;
        public long Namelen;
        public long Frsize;
        public long Flags;
        public fixed long Spare[4];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec64
    {
        public long Sec;
        public long Nsec;
    }

    // ------------------------------------------------------------------ descriptors

    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);

    /// <summary>struct file_handle's largest opaque part (MAX_HANDLE_SZ).</summary>
    public const int MaxHandleSize = 128;
    public const int RLIMIT_NOFILE = 7;

    /// <summary>name_to_handle_at: a persistent handle of an inode (8-byte header {bytes, type} + opaque part).</summary>
    [LibraryImport(Lib, EntryPoint = "name_to_handle_at", SetLastError = true)]
    public static partial int NameToHandleAt(int dirfd, byte* path, byte* handle, int* mountId, int flags);

    /// <summary>open_by_handle_at: needs CAP_DAC_READ_SEARCH (call it with the daemon's own credentials).</summary>
    [LibraryImport(Lib, EntryPoint = "open_by_handle_at", SetLastError = true)]
    public static partial int OpenByHandleAt(int mountFd, byte* handle, int flags);

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int Getrlimit(int resource, ulong* rlim);

    // ------------------------------------------------------------------ attributes

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    public static partial int StatxAt(int dirfd, byte* path, int flags, uint mask, Statx* buf);

    [LibraryImport(Lib, EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int Fstatfs(int fd, StatfsBuf* buf);

    [LibraryImport(Lib, EntryPoint = "fchmodat", SetLastError = true)]
    public static partial int FchmodAt(int dirfd, byte* path, uint mode, int flags);

    [LibraryImport(Lib, EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FchownAt(int dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true)]
    public static partial int UtimensAt(int dirfd, byte* path, TimeSpec64* times, int flags);

    [LibraryImport(Lib, EntryPoint = "ftruncate64", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadlinkAt(int dirfd, byte* path, byte* buf, nuint size);

    // ------------------------------------------------------------------ namespace

    [LibraryImport(Lib, EntryPoint = "mknodat", SetLastError = true)]
    public static partial int MknodAt(int dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, byte* path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, int newdirfd, byte* linkpath);

    [LibraryImport(Lib, EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, byte* path, int flags);

    [LibraryImport(Lib, EntryPoint = "renameat2", SetLastError = true)]
    public static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    // ------------------------------------------------------------------ file I/O

    [LibraryImport(Lib, EntryPoint = "pwrite64", SetLastError = true)]
    public static partial nint Pwrite(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pread64", SetLastError = true)]
    public static partial nint Pread(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int Fdatasync(int fd);

    [LibraryImport(Lib, EntryPoint = "syncfs", SetLastError = true)]
    public static partial int Syncfs(int fd);

    [LibraryImport(Lib, EntryPoint = "fallocate64", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport(Lib, EntryPoint = "lseek64", SetLastError = true)]
    public static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint Getdents64(int fd, byte* buf, nuint count);

    // ------------------------------------------------------------------ locks (LoopbackLocks)

    public const int F_OFD_GETLK = 36, F_OFD_SETLK = 37;
    public const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    /// <summary>struct flock on 64-bit Linux (x86_64, arm64: 32 bytes). l_len 0 means "to the end of the file".</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RecordLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    /// <summary>fcntl(fd, F_OFD_SETLK / F_OFD_GETLK, struct flock*). Variadic in C; with one pointer argument the
    /// x86_64 and arm64 Linux calling conventions are those of a prototyped function (as for <see cref="Syscall2"/>).
    /// The kernel reads (and for GETLK writes) the struct during the call only.</summary>
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int FcntlLock(int fd, int cmd, RecordLock* lk);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    // ------------------------------------------------------------------ xattrs (on /proc/self/fd/N paths)

    [LibraryImport(Lib, EntryPoint = "getxattr", SetLastError = true)]
    public static partial nint Getxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Lib, EntryPoint = "setxattr", SetLastError = true)]
    public static partial int Setxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Lib, EntryPoint = "listxattr", SetLastError = true)]
    public static partial nint Listxattr(byte* path, byte* list, nuint size);

    [LibraryImport(Lib, EntryPoint = "removexattr", SetLastError = true)]
    public static partial int Removexattr(byte* path, byte* name);

    // ------------------------------------------------------------------ credentials

    [LibraryImport(Lib, EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport(Lib, EntryPoint = "getgroups", SetLastError = true)]
    public static partial int Getgroups(int size, uint* list);

    /// <summary>glibc's setfsuid is the bare syscall: it changes only the calling thread's fsuid.</summary>
    [LibraryImport(Lib, EntryPoint = "setfsuid")]
    public static partial int Setfsuid(uint uid);

    /// <summary>Per-thread, as <see cref="Setfsuid"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "setfsgid")]
    public static partial int Setfsgid(uint gid);

    /// <summary>
    /// syscall(2) with two integer arguments. Used for setgroups and faccessat2, which glibc either broadcasts to
    /// every thread (setgroups: we need the per-thread kernel behaviour) or may emulate in user space.
    /// Variadic in C; with integer-only arguments the x86_64 and arm64 Linux calling conventions are the same as
    /// for a prototyped function.
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall2(long number, long a1, long a2);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall4(long number, long a1, long a2, long a3, long a4);

    /// <summary>__NR_setgroups: 116 on x86_64, 159 on arm64 (asm-generic).</summary>
    public static long SysSetgroups => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 116 : 159;

    /// <summary>__NR_faccessat2: 439 on every architecture (numbers from 424 on are shared).</summary>
    public const long SysFaccessat2 = 439;

    /// <summary>setgroups for the calling thread only.</summary>
    public static int SetThreadGroups(ReadOnlySpan<uint> groups)
    {
        // Safe: the span is pinned for the call and the kernel copies the list before returning.
        fixed (uint* p = groups)
            return (int)Syscall2(SysSetgroups, groups.Length, (long)p);
    }

    /// <summary>The errno of the last failed call, positive.</summary>
    public static int LastErrno()
    {
        int e = Marshal.GetLastPInvokeError();
        return e > 0 ? e : FastFuse.Kernel.Errno.EIO;
    }
}
