namespace FastFuse.Nodes;

/// <summary>Settings of a <see cref="NodeFileSystem"/>.</summary>
public sealed class NodeFileSystemOptions
{
    /// <summary>How long the kernel may cache a name → node mapping. Default 1 s.</summary>
    public TimeSpan EntryTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache attributes. Default 1 s.</summary>
    public TimeSpan AttrTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long the kernel may cache a name that is not there; zero (the default) caches nothing.</summary>
    public TimeSpan NegativeTimeout { get; set; } = TimeSpan.Zero;
    /// <summary>Every change (create, mkdir, unlink, rename, setattr, open for writing, write, setxattr…) answers
    /// EROFS without asking a node.</summary>
    public bool ReadOnly { get; set; }
    /// <summary>Owner in the default attributes (see <see cref="INodeGetattr"/>); default: the process's uid.</summary>
    public uint Uid { get; set; } = Interop.ProcessIdentity.Uid;
    /// <summary>Group in the default attributes; default: the process's gid.</summary>
    public uint Gid { get; set; } = Interop.ProcessIdentity.Gid;
    /// <summary>Some node may have extended attributes (the default): a node without the xattr capabilities answers
    /// as a file without extended attributes (ENODATA, an empty list). False: none has, GETXATTR, LISTXATTR, SETXATTR
    /// and REMOVEXATTR answer ENOSYS once and the kernel stops asking (getxattr(2) then fails with EOPNOTSUPP, as on
    /// a filesystem without xattr support), which saves <c>ls -l</c> two round trips per file.</summary>
    public bool Xattrs { get; set; } = true;
    /// <summary>Ask the kernel to send POSIX record locks and flock to the filesystem (handles implementing
    /// <see cref="IFileLocks"/> answer them; other handles answer ENOSYS). Default off: the kernel keeps locks itself,
    /// which is right for a filesystem that only this machine reaches.</summary>
    public bool Locks { get; set; }
}
