using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// The page cache and writeback caching: what each open answers (FOPEN_KEEP_CACHE under kernel_cache, or under
// auto_cache while the file is unchanged), and how a file is opened on the source when the kernel caches writes.
public sealed partial class LoopbackFs
{
    private bool Writeback => _connection is { } c && c.Has(InitFlags.WritebackCache);

    /// <summary>
    /// The flags to open the source file with. With writeback caching the kernel reads the rest of a page it writes
    /// part of, also for a file opened write-only, and it computes O_APPEND offsets itself from the size it keeps:
    /// write-only becomes read-write and O_APPEND is dropped (on the source it would send every pwrite to the end).
    /// </summary>
    private int SourceOpenFlags(int flags)
    {
        if (!Writeback) return flags;
        if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
        return flags & ~O_APPEND_FLAG;
    }

    /// <summary>With writeback caching, a write-only open the caller may not read: open write-only after all (the
    /// kernel's partial-page reads then fail for that file, as they would on any FUSE filesystem).</summary>
    private int WriteOnlyFallback(int wanted, int flags) =>
        Writeback && (flags & O_ACCMODE) == O_WRONLY && (wanted & O_ACCMODE) == O_RDWR ? (wanted & ~O_ACCMODE) | O_WRONLY : -1;

    private const int O_APPEND_FLAG = 0x400;

    /// <summary>FOPEN_KEEP_CACHE for this open: always with kernel_cache; with auto_cache when the file's mtime and size
    /// are what they were at its last open (a change on the source drops the cache, as libfuse's auto_cache).</summary>
    private uint KeepCacheFlag(LoopNode node, int fd)
    {
        if (_options.KernelCache) return (uint)FopenFlags.KeepCache;
        if (!_options.AutoCache || StatFd(fd, out var st) != 0) return 0;
        long mtime = st.Mtime.Sec * 1_000_000_000L + st.Mtime.Nsec;
        lock (node)
        {
            bool same = node.CachedMtimeNs == mtime && node.CachedSize == st.Size && node.CacheSeen;
            node.CachedMtimeNs = mtime;
            node.CachedSize = st.Size;
            node.CacheSeen = true;
            return same ? (uint)FopenFlags.KeepCache : 0;
        }
    }
}
