// Plain Linux (non-FUSE) constants that appear in FUSE request payloads; names follow the C macros.
namespace FastFuse.Kernel;

/// <summary>Plain Linux constants (not FUSE's own) that appear in requests and replies; the names are the C
/// macros'.</summary>
public static class Linux
{
    // renameat2 flags (fuse_rename2_in.flags)
    /// <summary>Do not overwrite the new name: EEXIST if it exists.</summary>
    public const uint RENAME_NOREPLACE = 1;
    /// <summary>Exchange the two names atomically (both must exist).</summary>
    public const uint RENAME_EXCHANGE = 2;
    /// <summary>Leave a whiteout (a 0:0 character device) at the old name (overlayfs).</summary>
    public const uint RENAME_WHITEOUT = 4;

    // setxattr flags (fuse_setxattr_in.flags)
    /// <summary>Create the attribute: EEXIST if it exists.</summary>
    public const uint XATTR_CREATE = 1;
    /// <summary>Replace the attribute: ENODATA if it does not exist.</summary>
    public const uint XATTR_REPLACE = 2;

    // lseek whence (fuse_lseek_in.whence)
    /// <summary>From the start of the file.</summary>
    public const uint SEEK_SET = 0;
    /// <summary>From the current position.</summary>
    public const uint SEEK_CUR = 1;
    /// <summary>From the end of the file.</summary>
    public const uint SEEK_END = 2;
    /// <summary>To the next data at or after the offset.</summary>
    public const uint SEEK_DATA = 3;
    /// <summary>To the next hole at or after the offset (the end of the file counts as one).</summary>
    public const uint SEEK_HOLE = 4;

    // fallocate mode (fuse_fallocate_in.mode)
    /// <summary>Allocate without changing the file size.</summary>
    public const uint FALLOC_FL_KEEP_SIZE = 0x01;
    /// <summary>Deallocate the range, leaving a hole (always with KEEP_SIZE).</summary>
    public const uint FALLOC_FL_PUNCH_HOLE = 0x02;
    /// <summary>Remove the range; what follows moves down.</summary>
    public const uint FALLOC_FL_COLLAPSE_RANGE = 0x08;
    /// <summary>Make the range read as zeros.</summary>
    public const uint FALLOC_FL_ZERO_RANGE = 0x10;
    /// <summary>Insert a hole of the range's length at its offset; what follows moves up.</summary>
    public const uint FALLOC_FL_INSERT_RANGE = 0x20;
    /// <summary>Give the range blocks of its own (unshare copy-on-write blocks).</summary>
    public const uint FALLOC_FL_UNSHARE_RANGE = 0x40;

    // st_mode file type and permission bits (fuse_attr.mode)
    /// <summary>Mask of the file type bits of a mode.</summary>
    public const uint S_IFMT = 0xF000;   // 0170000
    /// <summary>File type: socket.</summary>
    public const uint S_IFSOCK = 0xC000; // 0140000
    /// <summary>File type: symbolic link.</summary>
    public const uint S_IFLNK = 0xA000;  // 0120000
    /// <summary>File type: regular file.</summary>
    public const uint S_IFREG = 0x8000;  // 0100000
    /// <summary>File type: block device.</summary>
    public const uint S_IFBLK = 0x6000;  // 0060000
    /// <summary>File type: directory.</summary>
    public const uint S_IFDIR = 0x4000;  // 0040000
    /// <summary>File type: character device.</summary>
    public const uint S_IFCHR = 0x2000;  // 0020000
    /// <summary>File type: FIFO.</summary>
    public const uint S_IFIFO = 0x1000;  // 0010000
    /// <summary>Set-user-id bit.</summary>
    public const uint S_ISUID = 0x800;   // 04000
    /// <summary>Set-group-id bit.</summary>
    public const uint S_ISGID = 0x400;   // 02000
    /// <summary>Sticky bit (in a directory: only an entry's owner may remove or rename it).</summary>
    public const uint S_ISVTX = 0x200;   // 01000

    // directory entry types (fuse_dirent.type)
    /// <summary>Directory entry type: unknown (the caller must stat).</summary>
    public const uint DT_UNKNOWN = 0;
    /// <summary>Directory entry type: FIFO.</summary>
    public const uint DT_FIFO = 1;
    /// <summary>Directory entry type: character device.</summary>
    public const uint DT_CHR = 2;
    /// <summary>Directory entry type: directory.</summary>
    public const uint DT_DIR = 4;
    /// <summary>Directory entry type: block device.</summary>
    public const uint DT_BLK = 6;
    /// <summary>Directory entry type: regular file.</summary>
    public const uint DT_REG = 8;
    /// <summary>Directory entry type: symbolic link.</summary>
    public const uint DT_LNK = 10;
    /// <summary>Directory entry type: socket.</summary>
    public const uint DT_SOCK = 12;
    /// <summary>Directory entry type: whiteout.</summary>
    public const uint DT_WHT = 14;

    // utimensat special nanosecond values
    /// <summary>utimensat(2)'s nanoseconds value for "now".</summary>
    public const long UTIME_NOW = (1L << 30) - 1;
    /// <summary>utimensat(2)'s nanoseconds value for "leave this timestamp as it is".</summary>
    public const long UTIME_OMIT = (1L << 30) - 2;

    // access(2) mask (fuse_access_in.mask)
    /// <summary>access(2): the file exists.</summary>
    public const uint F_OK = 0;
    /// <summary>access(2): execute (search) permission.</summary>
    public const uint X_OK = 1;
    /// <summary>access(2): write permission.</summary>
    public const uint W_OK = 2;
    /// <summary>access(2): read permission.</summary>
    public const uint R_OK = 4;

    // POSIX lock types (fuse_file_lock.type)
    /// <summary>Lock type: read (shared) lock.</summary>
    public const uint F_RDLCK = 0;
    /// <summary>Lock type: write (exclusive) lock.</summary>
    public const uint F_WRLCK = 1;
    /// <summary>Lock type: unlock, or no lock.</summary>
    public const uint F_UNLCK = 2;

    /// <summary>Directory entry type for an st_mode value: (mode &amp; S_IFMT) &gt;&gt; 12.</summary>
    public static uint ModeToDirentType(uint mode) => (mode & S_IFMT) >> 12;
}
