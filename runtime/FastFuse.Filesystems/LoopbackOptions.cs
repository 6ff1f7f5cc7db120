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
}
