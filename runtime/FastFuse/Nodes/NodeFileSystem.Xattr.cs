using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Extended attributes: GETXATTR, LISTXATTR, SETXATTR, REMOVEXATTR, answered per node (see INodeXattrs.cs), or ENOSYS
// for the whole mount when NodeFileSystemOptions.Xattrs is off (changes on a read-only filesystem stay EROFS).
public partial class NodeFileSystem
{
    int IRawFileSystem.Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        if (!_xattrs) return Errno.ENOSYS;
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        return n is INodeGetxattr g ? g.Getxattr(in ctx, name, ref value) : Errno.ENODATA;
    }

    int IRawFileSystem.Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        if (!_xattrs) return Errno.ENOSYS;
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is INodeListxattr l) return l.Listxattr(in ctx, ref names);
        names.Reserve(0, out int error);
        return error;
    }

    int IRawFileSystem.Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (_readOnly) return Errno.EROFS;
        if (!_xattrs) return Errno.ENOSYS;
        return n is INodeSetxattr s ? s.Setxattr(in ctx, name, value, flags) : Errno.EOPNOTSUPP;
    }

    int IRawFileSystem.Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (_readOnly) return Errno.EROFS;
        if (!_xattrs) return Errno.ENOSYS;
        return n is INodeRemovexattr r ? r.Removexattr(in ctx, name) : Errno.ENODATA;
    }
}
