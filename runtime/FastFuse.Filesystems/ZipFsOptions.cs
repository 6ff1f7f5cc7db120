namespace FastFuse.Filesystems;

/// <summary>Settings of a <see cref="ZipFs"/>.</summary>
public sealed class ZipFsOptions
{
    /// <summary>How long the kernel may cache a name → node mapping. Default 1 hour: an archive served from an open
    /// descriptor does not change.</summary>
    public TimeSpan EntryTimeout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long the kernel may cache attributes. Default 1 hour.</summary>
    public TimeSpan AttrTimeout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long the kernel may cache a name that is not there. Default 1 hour.</summary>
    public TimeSpan NegativeTimeout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Bytes of decompressed 64 KiB blocks kept for random access within compressed entries. Default 64 MiB.</summary>
    public long CacheBytes { get; set; } = 64L << 20;
    /// <summary>Owner of every file; default: the process's uid.</summary>
    public uint Uid { get; set; } = Interop.ProcessIdentity.Uid;
    /// <summary>Group of every file; default: the process's gid.</summary>
    public uint Gid { get; set; } = Interop.ProcessIdentity.Gid;
}
