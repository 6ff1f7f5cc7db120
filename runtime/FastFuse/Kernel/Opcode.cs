// FUSE request opcodes (enum fuse_opcode, protocol 7.45).
namespace FastFuse.Kernel;

/// <summary>enum fuse_opcode: what a request asks for (protocol 7.45). Values 7 and 19 are unused.</summary>
public enum Opcode : uint
{
    /// <summary>Look up a name in a directory and answer its entry (each answer counts one lookup of the
    /// node).</summary>
    Lookup = 1,
    /// <summary>The kernel drops lookups of a node (no reply).</summary>
    Forget = 2,
    /// <summary>Get a node's attributes (stat).</summary>
    Getattr = 3,
    /// <summary>Change a node's attributes (chmod, chown, truncate, utimes).</summary>
    Setattr = 4,
    /// <summary>Read a symbolic link's target.</summary>
    Readlink = 5,
    /// <summary>Create a symbolic link.</summary>
    Symlink = 6,
    /// <summary>Create a regular file, device node, FIFO or socket (mknod(2); also creat(2) when CREATE is not
    /// implemented).</summary>
    Mknod = 8,
    /// <summary>Create a directory.</summary>
    Mkdir = 9,
    /// <summary>Remove a name that is not a directory.</summary>
    Unlink = 10,
    /// <summary>Remove an empty directory.</summary>
    Rmdir = 11,
    /// <summary>Move a name (rename(2)).</summary>
    Rename = 12,
    /// <summary>Create a hard link.</summary>
    Link = 13,
    /// <summary>Open a file.</summary>
    Open = 14,
    /// <summary>Read from an open file.</summary>
    Read = 15,
    /// <summary>Write to an open file.</summary>
    Write = 16,
    /// <summary>Get the filesystem's statistics (statfs(2)).</summary>
    Statfs = 17,
    /// <summary>The last reference to an open file is gone (after the last close and the last mmap of it).</summary>
    Release = 18,
    /// <summary>Flush an open file's data (and metadata) to stable storage.</summary>
    Fsync = 20,
    /// <summary>Set an extended attribute.</summary>
    Setxattr = 21,
    /// <summary>Get an extended attribute's value.</summary>
    Getxattr = 22,
    /// <summary>List the names of a node's extended attributes.</summary>
    Listxattr = 23,
    /// <summary>Remove an extended attribute.</summary>
    Removexattr = 24,
    /// <summary>A descriptor of an open file is closed (close(2)): once per close, before RELEASE.</summary>
    Flush = 25,
    /// <summary>The first request: agree on the protocol version and the connection's features.</summary>
    Init = 26,
    /// <summary>Open a directory.</summary>
    Opendir = 27,
    /// <summary>Read entries of an open directory.</summary>
    Readdir = 28,
    /// <summary>The last reference to an open directory is gone.</summary>
    Releasedir = 29,
    /// <summary>Flush an open directory to stable storage.</summary>
    Fsyncdir = 30,
    /// <summary>Test for a lock that conflicts with the one given (fcntl F_GETLK).</summary>
    Getlk = 31,
    /// <summary>Take or release a lock without waiting (F_SETLK, flock with LOCK_NB).</summary>
    Setlk = 32,
    /// <summary>Take a lock, waiting until it can be had (F_SETLKW, flock).</summary>
    Setlkw = 33,
    /// <summary>Check the caller's access to a node (access(2), chdir); sent only without default_permissions.</summary>
    Access = 34,
    /// <summary>Create and open a file (open(2) with O_CREAT).</summary>
    Create = 35,
    /// <summary>Interrupt a request in flight, whose caller got a signal (no reply).</summary>
    Interrupt = 36,
    /// <summary>Map a block of a file to a block of the device (fuseblk).</summary>
    Bmap = 37,
    /// <summary>The filesystem is being unmounted: the connection's last request.</summary>
    Destroy = 38,
    /// <summary>An ioctl(2) on an open file or directory.</summary>
    Ioctl = 39,
    /// <summary>Ask which poll events are ready on an open file (poll, select, epoll).</summary>
    Poll = 40,
    /// <summary>The kernel's answer to a FUSE_NOTIFY_RETRIEVE (no reply).</summary>
    NotifyReply = 41,
    /// <summary>Many FORGETs in one request (no reply).</summary>
    BatchForget = 42,
    /// <summary>Allocate or deallocate space of an open file (fallocate(2)).</summary>
    Fallocate = 43,
    /// <summary>Read entries of an open directory with their attributes: READDIR and LOOKUP in one.</summary>
    Readdirplus = 44,
    /// <summary>Move a name, with renameat2(2)'s flags.</summary>
    Rename2 = 45,
    /// <summary>Find data or a hole in an open file (lseek(2) with SEEK_DATA or SEEK_HOLE).</summary>
    Lseek = 46,
    /// <summary>Copy a range from one open file to another (copy_file_range(2)); the count answered is 32
    /// bits.</summary>
    CopyFileRange = 47,
    /// <summary>Map a range of an open file into the DAX window (virtiofs).</summary>
    SetupMapping = 48,
    /// <summary>Remove ranges from the DAX window (virtiofs).</summary>
    RemoveMapping = 49,
    /// <summary>Flush the whole filesystem to stable storage (syncfs(2)).</summary>
    Syncfs = 50,
    /// <summary>Create and open a file without a name (open(2) with O_TMPFILE).</summary>
    Tmpfile = 51,
    /// <summary>Get a node's statx(2) attributes: more than GETATTR carries, such as the birth time.</summary>
    Statx = 52,
    /// <summary>As COPY_FILE_RANGE, with a 64-bit count in the answer (fuse_copy_file_range_out).</summary>
    CopyFileRange64 = 53,

    /// <summary>The first request of a CUSE connection (a character device served in user space).</summary>
    CuseInit = 4096,

    // Reserved values the kernel never sends; they reveal a byte-swapped peer.
    /// <summary>CUSE_INIT byte-swapped: never sent; seeing it reveals a peer of the other byte order.</summary>
    CuseInitBswapReserved = 1048576,
    /// <summary>INIT byte-swapped: never sent; seeing it reveals a peer of the other byte order.</summary>
    FuseInitBswapReserved = 436207616,
}
