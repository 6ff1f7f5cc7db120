// Plain Linux (non-FUSE) constants that appear in FUSE request payloads; names follow the C macros.
namespace FastFuse.Kernel;

public static class Linux
{
    // renameat2 flags (fuse_rename2_in.flags)
    public const uint RENAME_NOREPLACE = 1;
    public const uint RENAME_EXCHANGE = 2;
    public const uint RENAME_WHITEOUT = 4;

    // setxattr flags (fuse_setxattr_in.flags)
    public const uint XATTR_CREATE = 1;
    public const uint XATTR_REPLACE = 2;

    // lseek whence (fuse_lseek_in.whence)
    public const uint SEEK_SET = 0;
    public const uint SEEK_CUR = 1;
    public const uint SEEK_END = 2;
    public const uint SEEK_DATA = 3;
    public const uint SEEK_HOLE = 4;

    // fallocate mode (fuse_fallocate_in.mode)
    public const uint FALLOC_FL_KEEP_SIZE = 0x01;
    public const uint FALLOC_FL_PUNCH_HOLE = 0x02;
    public const uint FALLOC_FL_COLLAPSE_RANGE = 0x08;
    public const uint FALLOC_FL_ZERO_RANGE = 0x10;
    public const uint FALLOC_FL_INSERT_RANGE = 0x20;
    public const uint FALLOC_FL_UNSHARE_RANGE = 0x40;

    // st_mode file type and permission bits (fuse_attr.mode)
    public const uint S_IFMT = 0xF000;   // 0170000
    public const uint S_IFSOCK = 0xC000; // 0140000
    public const uint S_IFLNK = 0xA000;  // 0120000
    public const uint S_IFREG = 0x8000;  // 0100000
    public const uint S_IFBLK = 0x6000;  // 0060000
    public const uint S_IFDIR = 0x4000;  // 0040000
    public const uint S_IFCHR = 0x2000;  // 0020000
    public const uint S_IFIFO = 0x1000;  // 0010000
    public const uint S_ISUID = 0x800;   // 04000
    public const uint S_ISGID = 0x400;   // 02000
    public const uint S_ISVTX = 0x200;   // 01000

    // directory entry types (fuse_dirent.type)
    public const uint DT_UNKNOWN = 0;
    public const uint DT_FIFO = 1;
    public const uint DT_CHR = 2;
    public const uint DT_DIR = 4;
    public const uint DT_BLK = 6;
    public const uint DT_REG = 8;
    public const uint DT_LNK = 10;
    public const uint DT_SOCK = 12;
    public const uint DT_WHT = 14;

    // utimensat special nanosecond values
    public const long UTIME_NOW = (1L << 30) - 1;
    public const long UTIME_OMIT = (1L << 30) - 2;

    // access(2) mask (fuse_access_in.mask)
    public const uint F_OK = 0;
    public const uint X_OK = 1;
    public const uint W_OK = 2;
    public const uint R_OK = 4;

    // POSIX lock types (fuse_file_lock.type)
    public const uint F_RDLCK = 0;
    public const uint F_WRLCK = 1;
    public const uint F_UNLCK = 2;

    /// <summary>Directory entry type for an st_mode value: (mode &amp; S_IFMT) &gt;&gt; 12.</summary>
    public static uint ModeToDirentType(uint mode) => (mode & S_IFMT) >> 12;
}
