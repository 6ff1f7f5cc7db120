using System.Text;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Notifications from a node: tell the kernel that what it cached about this node (its data, its attributes, a
// name in it) changed behind its back. Each returns 0, or the kernel's errno (see Notify.Notifier): ENOENT when
// the kernel holds nothing to invalidate (the node has no node id: nothing is cached), ENOTCONN before the
// filesystem is mounted and after it has ended. The kernel's deadlock rules apply: see Notify.Notifier.
public partial class Node
{
    /// <summary>FUSE_NOTIFY_INVAL_INODE: forget this node's cached attributes and its cached data from
    /// <paramref name="offset"/> for <paramref name="length"/> bytes (0 or less: to the end); a negative offset
    /// forgets the attributes only. Not from this node's own READ or WRITE.</summary>
    public int NotifyContent(long offset = 0, long length = 0)
    {
        ulong id = NodeId;
        if (id == 0) return Errno.ENOENT;
        return SessionOrNull() is { } s ? s.Notify.InvalidateInode(id, offset, length) : Errno.ENOTCONN;
    }

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY on this directory: forget the cached lookup of <paramref name="name"/> (a name
    /// that was there, or one cached as missing). Not from a request that holds this directory (LOOKUP, CREATE,
    /// UNLINK… in it).</summary>
    public int NotifyEntry(ReadOnlySpan<byte> name)
    {
        ulong id = NodeId;
        if (id == 0) return Errno.ENOENT;
        return SessionOrNull() is { } s ? s.Notify.InvalidateEntry(id, name) : Errno.ENOTCONN;
    }

    /// <summary><see cref="NotifyEntry(ReadOnlySpan{byte})"/> with the name in UTF-8.</summary>
    public int NotifyEntry(string name) => NotifyEntry(Encoding.UTF8.GetBytes(name));

    /// <summary>FUSE_NOTIFY_DELETE on this directory: <paramref name="name"/>, which was <paramref name="child"/>, is
    /// gone (what a local unlink does to the kernel's caches). Use it after <see cref="RemoveChild(ReadOnlySpan{byte})"/>.
    /// When the kernel does not hold the child, only the name is invalidated.</summary>
    public int NotifyDelete(ReadOnlySpan<byte> name, Node child)
    {
        ArgumentNullException.ThrowIfNull(child);
        ulong id = NodeId;
        if (id == 0) return Errno.ENOENT;
        if (SessionOrNull() is not { } s) return Errno.ENOTCONN;
        ulong childId = child.NodeId;
        return childId == 0 ? s.Notify.InvalidateEntry(id, name) : s.Notify.Delete(id, childId, name);
    }

    /// <summary><see cref="NotifyDelete(ReadOnlySpan{byte}, Node)"/> with the name in UTF-8.</summary>
    public int NotifyDelete(string name, Node child) => NotifyDelete(Encoding.UTF8.GetBytes(name), child);

    /// <summary>FUSE_NOTIFY_STORE: put <paramref name="data"/> into the kernel's page cache of this node at
    /// <paramref name="offset"/>, so that reads of it need no READ. Not from this node's own READ or WRITE.</summary>
    public int NotifyStore(long offset, ReadOnlySpan<byte> data)
    {
        ulong id = NodeId;
        if (id == 0) return Errno.ENOENT;
        return SessionOrNull() is { } s ? s.Notify.Store(id, offset, data) : Errno.ENOTCONN;
    }

    private Session.FuseSession? SessionOrNull() => Volatile.Read(ref Owner)?.Session;
}
