using FastFuse.Api;

namespace FastFuse.Nodes;

// Capabilities: extended attributes. The defaults answer as a file without extended attributes does on ext4, per
// node: an ENOSYS would make the kernel stop asking for the whole mount, nodes that have them included.

/// <summary>GETXATTR: answer the value of <c>name</c> through <c>value</c>
/// (<see cref="XattrReply.Set"/> handles the size probe and ERANGE). Without it: ENODATA.</summary>
public interface INodeGetxattr
{
    /// <summary>Answer the value, or ENODATA when there is no such attribute.</summary>
    int Getxattr(in RequestContext ctx, ReadOnlySpan<byte> name, ref XattrReply value);
}

/// <summary>LISTXATTR: answer the names, each followed by a NUL, through <c>names</c>. Without it: none.</summary>
public interface INodeListxattr
{
    /// <summary>Answer the list (use <see cref="XattrReply.Reserve"/> or <see cref="XattrReply.Set"/>).</summary>
    int Listxattr(in RequestContext ctx, ref XattrReply names);
}

/// <summary>SETXATTR (<c>flags</c>: XATTR_CREATE, XATTR_REPLACE). Without it: EOPNOTSUPP (EROFS on a
/// read-only filesystem).</summary>
public interface INodeSetxattr
{
    /// <summary>Set <c>name</c> to <c>value</c>; return 0 or an errno.</summary>
    int Setxattr(in RequestContext ctx, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags);
}

/// <summary>REMOVEXATTR. Without it: ENODATA (EROFS on a read-only filesystem).</summary>
public interface INodeRemovexattr
{
    /// <summary>Remove <c>name</c>; ENODATA when there is none.</summary>
    int Removexattr(in RequestContext ctx, ReadOnlySpan<byte> name);
}
