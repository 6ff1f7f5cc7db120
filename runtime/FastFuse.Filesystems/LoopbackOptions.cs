namespace FastFuse.Filesystems;

/// <summary>Settings of a <see cref="LoopbackFs"/>.</summary>
public sealed class LoopbackOptions
{
    /// <summary>How long the kernel may cache a name → node mapping.</summary>
    public TimeSpan EntryTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache attributes.</summary>
    public TimeSpan AttrTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache a failed lookup; zero answers ENOENT instead (nothing cached).</summary>
    public TimeSpan NegativeTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Answer every open with FOPEN_DIRECT_IO (no page cache).</summary>
    public bool DirectIo { get; set; }
    /// <summary>
    /// Ask for FUSE passthrough (kernel 6.9+, needs CAP_SYS_ADMIN): regular files opened through the mount are
    /// registered as backing files, and the kernel reads and writes them without calling the daemon. Falls back
    /// to ordinary READ/WRITE requests, with one log line, when the kernel or the privileges do not allow it.
    /// </summary>
    public bool Passthrough { get; set; }
    /// <summary>Negotiate FUSE_WRITEBACK_CACHE (not with <see cref="Passthrough"/>): files opened write-only are opened
    /// read-write on the source (the kernel reads the rest of a page it writes part of), O_APPEND is left to the
    /// kernel, and the times the kernel sends for a writer who may write but does not own the file are set by the
    /// daemon.</summary>
    public bool WritebackCache { get; set; }
    /// <summary>FOPEN_KEEP_CACHE on every open: for a source nothing else changes.</summary>
    public bool KernelCache { get; set; }
    /// <summary>FOPEN_KEEP_CACHE while the file's mtime and size are those of its last open; else the cache is dropped.</summary>
    public bool AutoCache { get; set; }
}
