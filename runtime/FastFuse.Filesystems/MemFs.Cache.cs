using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// The page cache across opens. Every change to MemFs data passes through this mount (writes, truncates, fallocate,
// copy_file_range: the kernel updates or drops the pages it concerns), so pages the kernel kept from an earlier open
// are never stale. What a kept page can miss is a read: served from the cache, it never reaches MemFs, which keeps
// atime. So an open keeps the cache (FOPEN_KEEP_CACHE) when no read could change atime now (noatime, nodiratime
// does not matter for files, the file's own noatime flag, or relatime once atime is past mtime and ctime and less
// than a day old), and always with MemFsOptions.KernelCache. Without FOPEN_KEEP_CACHE the kernel drops the file's
// pages at open.
public sealed partial class MemFs
{
    /// <summary>The open's FOPEN_* flags for <paramref name="n"/>.</summary>
    private uint OpenFlagsFor(MemNode n)
    {
        if (_options.DirectIo) return (uint)FopenFlags.DirectIo;
        if (_options.KernelCache || (n.Flags & FsNoatime) != 0) return (uint)FopenFlags.KeepCache;
        var rules = _session?.Atime ?? AtimePolicy.Default;
        if (!rules.MayUpdate(directory: false)) return (uint)FopenFlags.KeepCache;
        var now = Timespec.Now();
        bool readWouldTouch;
        lock (n) readWouldTouch = rules.Wants(false, n.Atime.Sec, n.Atime.Nsec, n.Mtime.Sec, n.Mtime.Nsec, n.Ctime.Sec, n.Ctime.Nsec, now.Sec);
        return readWouldTouch ? 0 : (uint)FopenFlags.KeepCache;
    }
}
