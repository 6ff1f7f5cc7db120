using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Capabilities: attributes and whole-filesystem questions. A node implements the ones it needs; for the others
// NodeFileSystem answers a standard default (see each interface).

/// <summary>
/// GETATTR (stat) and the attributes in every entry reply. <c>attr</c> arrives filled with the defaults:
/// <c>Ino</c> (<see cref="Node.Ino"/>), <c>Mode</c> (<see cref="Node.Mode"/>), <c>Nlink</c> (2 for a directory, 1
/// otherwise), owner (<see cref="NodeFileSystemOptions.Uid"/>/<see cref="NodeFileSystemOptions.Gid"/>), times (when
/// the filesystem was made) and <c>Blksize</c> 4096; change what you know (<c>Size</c>, times…). The file type in
/// <c>Mode</c> stays the node's; <c>Blocks</c> of a regular file left 0 is computed from <c>Size</c>. Without this capability a node
/// has the defaults and size 0.
/// </summary>
public interface INodeGetattr
{
    /// <summary>Fill <c>attr</c>; return 0 or an errno.</summary>
    int Getattr(in RequestContext ctx, ref FuseAttr attr);
}

/// <summary>
/// SETATTR (chmod, chown, truncate, utimensat): apply the fields <c>changes</c>.Valid names
/// (<see cref="SetattrValid"/>); the reply's attributes then come from <see cref="INodeGetattr"/>.
/// <c>handle</c> is the open file's handle for ftruncate/fchmod on a file opened with one. Without this
/// capability SETATTR answers ENOSYS (EROFS on a read-only filesystem).
/// </summary>
public interface INodeSetattr
{
    /// <summary>Apply <c>changes</c>; return 0 or an errno.</summary>
    int Setattr(in RequestContext ctx, IFileHandle? handle, in FuseSetattrIn changes);
}

/// <summary>access(2) when the mount has no default_permissions. Without this capability every access is granted
/// (write access on a read-only filesystem answers EROFS).</summary>
public interface INodeAccess
{
    /// <summary><c>mask</c> holds R_OK, W_OK, X_OK (or is F_OK); return 0, EACCES or another errno.</summary>
    int Access(in RequestContext ctx, int mask);
}

/// <summary>statfs(2). Asked of the node statfs was called on, else of the root; without it anywhere the answer is
/// block size 4096, name length 255 and zero counts.</summary>
public interface INodeStatfs
{
    /// <summary>Fill <c>statfs</c>, which arrives with <c>Bsize</c> and <c>Frsize</c> 4096 and <c>Namelen</c> 255.</summary>
    int Statfs(in RequestContext ctx, ref FuseKstatfs statfs);
}
