using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Attributes and whole-filesystem questions: GETATTR, SETATTR, ACCESS, STATFS, READLINK.
public partial class NodeFileSystem
{
    int IRawFileSystem.Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        attr.AttrValid = _attrSec;
        attr.AttrValidNsec = _attrNsec;
        return FillAttr(in ctx, n, ref attr.Attr);
    }

    int IRawFileSystem.Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (_readOnly) return Errno.EROFS;
        if (n is not INodeSetattr setattr) return Errno.ENOSYS;
        var handle = (changes.Valid & (uint)SetattrValid.Fh) != 0 ? _handles.Get(changes.Fh) : null;
        int r = setattr.Setattr(in ctx, handle, in changes);
        if (r != 0) return r;
        attr.AttrValid = _attrSec;
        attr.AttrValidNsec = _attrNsec;
        return FillAttr(in ctx, n, ref attr.Attr);
    }

    int IRawFileSystem.Access(in RequestContext ctx, ulong nodeId, int mask)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (_readOnly && (mask & (int)Linux.W_OK) != 0) return Errno.EROFS;
        // Granted by default: ENOSYS would make the kernel stop asking for the whole mount, nodes that check included.
        return n is INodeAccess access ? access.Access(in ctx, mask) : Status.Ok;
    }

    int IRawFileSystem.Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs)
    {
        ref var st = ref statfs.St;
        st.Bsize = 4096;
        st.Frsize = 4096;
        st.Namelen = 255;
        if (_nodes.Get(nodeId) is INodeStatfs own) return own.Statfs(in ctx, ref st);
        return _root is INodeStatfs root ? root.Statfs(in ctx, ref st) : Status.Ok;
    }

    int IRawFileSystem.Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        return n is INodeReadlink readlink ? readlink.Readlink(in ctx, ref target) : Errno.EINVAL;
    }
}
