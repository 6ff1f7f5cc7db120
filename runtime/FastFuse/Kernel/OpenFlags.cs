// Open-related flag sets: FOPEN_* (fuse_open_out.open_flags) and FUSE_OPEN_* (fuse_open_in/fuse_create_in.open_flags).
namespace FastFuse.Kernel;

/// <summary>FOPEN_*: fuse_open_out.open_flags, how the kernel treats an open file.</summary>
[Flags]
public enum FopenFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FOPEN_DIRECT_IO: bypass the page cache for this open file.</summary>
    DirectIo = 1u << 0,
    /// <summary>FOPEN_KEEP_CACHE: do not drop the file's cached data on this open.</summary>
    KeepCache = 1u << 1,
    /// <summary>FOPEN_NONSEEKABLE: the file is not seekable.</summary>
    NonSeekable = 1u << 2,
    /// <summary>FOPEN_CACHE_DIR: the kernel may cache this directory's entries.</summary>
    CacheDir = 1u << 3,
    /// <summary>FOPEN_STREAM: the file is stream-like: no file position at all.</summary>
    Stream = 1u << 4,
    /// <summary>FOPEN_NOFLUSH: do not send FLUSH for this file on close (unless the writeback cache is on).</summary>
    NoFlush = 1u << 5,
    /// <summary>FOPEN_PARALLEL_DIRECT_WRITES: direct writes to the same file may run in parallel.</summary>
    ParallelDirectWrites = 1u << 6,
    /// <summary>FOPEN_PASSTHROUGH: reads and writes go straight to the backing file of
    /// fuse_open_out.backing_id.</summary>
    Passthrough = 1u << 7,
}

/// <summary>FUSE_OPEN_*: fuse_open_in.open_flags and fuse_create_in.open_flags.</summary>
[Flags]
public enum OpenInFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_OPEN_KILL_SUIDGID: clear suid and sgid if the file is executable (an O_TRUNC open by a caller
    /// without CAP_FSETID).</summary>
    KillSuidgid = 1u << 0,
}
