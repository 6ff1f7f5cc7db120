namespace FastFuse.Filesystems;

/// <summary>Settings of a <see cref="MemFs"/>.</summary>
public sealed class MemFsOptions
{
    /// <summary>How long the kernel may cache a name → node mapping.</summary>
    public TimeSpan EntryTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache attributes.</summary>
    public TimeSpan AttrTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache a failed lookup; zero answers ENOENT instead (nothing cached).</summary>
    public TimeSpan NegativeTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Answer every open with FOPEN_DIRECT_IO (no page cache).</summary>
    public bool DirectIo { get; set; }
    /// <summary>Largest file size; writes, truncates and fallocates past it fail with EFBIG. Default 1 TiB.</summary>
    public long MaxFileSize { get; set; } = 1L << 40;
    /// <summary>Bytes of file data that may be stored; beyond it ENOSPC. 0 = three quarters of the memory the runtime
    /// may use; <see cref="long.MaxValue"/> = no limit (tmpfs's size=0: statfs then reports 0 blocks).</summary>
    public long CapacityBytes { get; set; }
    /// <summary>Inodes (files, directories, symlinks, special files, the root included) that may exist; beyond it
    /// ENOSPC. 0 = half the pages of the memory the runtime may use, as tmpfs's default; <see cref="long.MaxValue"/> =
    /// no limit (tmpfs's nr_inodes=0: statfs then reports 0 files).</summary>
    public long MaxInodes { get; set; }
    /// <summary>Owner of the root directory.</summary>
    public uint RootUid { get; set; }
    /// <summary>Group of the root directory.</summary>
    public uint RootGid { get; set; }
    /// <summary>Negotiate FUSE_WRITEBACK_CACHE: writes collect in the page cache and arrive later, in larger pieces, with
    /// mtime and ctime sent by the kernel (explicit SETATTR times from a caller who may write the file are then
    /// accepted as the kernel's own: the two look the same; mount with default_permissions to have the kernel check a
    /// caller's utimensat first).</summary>
    public bool WritebackCache { get; set; }
    /// <summary>Keep the page cache across every open (FOPEN_KEEP_CACHE), even where the mount's atime rules would see a
    /// read (strictatime, relatime after a change): those reads are then served from the cache and leave atime alone.
    /// Without it MemFs keeps the cache only when no read could change atime (see <see cref="MemFs"/>'s Open).</summary>
    public bool KernelCache { get; set; }
    /// <summary>poll(2) on a file reports it readable only while it holds data, and a write that gives an empty file
    /// data wakes its pollers (FUSE_POLL with FUSE_NOTIFY_POLL): an empty file becomes something a reader can wait on.
    /// Off (the default): the kernel answers poll itself, every file always readable and writable, as POSIX wants
    /// for regular files.</summary>
    public bool PollWaitsForData { get; set; }
    /// <summary>Permission bits of the root directory (the type bits are added).</summary>
    public uint RootMode { get; set; } = 0x1ED; // 0755

    internal long EffectiveCapacity()
    {
        if (CapacityBytes > 0) return CapacityBytes;
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (total <= 0) total = 4L << 30;
        return total / 4 * 3;
    }

    internal long EffectiveMaxInodes()
    {
        if (MaxInodes > 0) return MaxInodes;
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (total <= 0) total = 4L << 30;
        return Math.Max(2, total / 4096 / 2);
    }
}
