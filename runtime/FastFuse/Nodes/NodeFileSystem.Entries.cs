using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Names: LOOKUP (from the tree, or a directory's INodeLookup), CREATE, MKDIR, MKNOD, SYMLINK, UNLINK, RMDIR, RENAME,
// and the tree following each change.
public partial class NodeFileSystem
{
    int IRawFileSystem.Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        if (!_nodes.TryGet(parent, out var dir)) return Errno.ENOENT;
        if (!dir.IsDirectory) return Errno.ENOTDIR;
        while (true)
        {
            var child = Node.IsDots(name) ? (name.Length == 1 ? dir : dir.Parent ?? dir) : dir.FindChild(name);
            if (child is null)
            {
                int r = LookupDynamic(in ctx, dir, name, out child);
                if (r != 0) return Missing(r, ref entry);
            }
            ulong id = Attach(child);
            if (id != 0) return ReplyEntry(in ctx, child, id, ref entry);
            // A forget took the node out of the tree after we found it: look the name up again.
        }
    }

    /// <summary>Ask the directory's <see cref="INodeLookup"/> for a name the tree does not hold.</summary>
    private int LookupDynamic(in RequestContext ctx, Node dir, ReadOnlySpan<byte> name, out Node child)
    {
        child = null!;
        if (dir is not INodeLookup lookup) return Errno.ENOENT;
        int r = lookup.Lookup(in ctx, name, out var made);
        if (r != 0) return r;
        if (made is null) return NullNode("LOOKUP");
        child = Adopt(dir, name, made, replace: false);
        return Status.Ok;
    }

    /// <summary>ENOENT as a cached miss when <see cref="NodeFileSystemOptions.NegativeTimeout"/> is set.</summary>
    private int Missing(int errno, ref FuseEntryOut entry)
    {
        if (errno != Errno.ENOENT || (_negSec == 0 && _negNsec == 0)) return errno;
        entry.Nodeid = 0;
        entry.EntryValid = _negSec;
        entry.EntryValidNsec = _negNsec;
        return Status.Ok;
    }

    /// <summary>
    /// Put a node a capability answered into <paramref name="dir"/> as <paramref name="name"/> and return the node the
    /// name now holds. <paramref name="replace"/>: the capability made it (create, mkdir…), so it takes the name over;
    /// otherwise (lookup) a node another thread put there first wins. A node already in a directory stays where it is
    /// (the kernel then knows it under a second name, as a hard link).
    /// </summary>
    private static Node Adopt(Node dir, ReadOnlySpan<byte> name, Node node, bool replace)
    {
        var table = dir.EnsureTable();
        lock (table.Sync)
        {
            var existing = table.Find(name);
            if (ReferenceEquals(existing, node)) return node;
            if (existing is not null)
            {
                if (!replace) return existing;
                table.RemoveLocked(existing);
            }
            if (!node.IsRoot && Interlocked.CompareExchange(ref node.ParentNode, dir, null) is null)
            {
                Interlocked.CompareExchange(ref node.KernelId, 0, Node.Gone);   // pruned once, back in the tree
                table.AddLocked(dir, name.ToArray(), node);
            }
        }
        return node;
    }

    /// <summary>Adopt what a create, mkdir, mknod or symlink made, count the kernel's lookup and answer its entry.</summary>
    private int AdoptAndReply(in RequestContext ctx, Node dir, ReadOnlySpan<byte> name, Node made, ref FuseEntryOut entry)
    {
        while (true)
        {
            var node = Adopt(dir, name, made, replace: true);
            ulong id = Attach(node);
            if (id != 0) return ReplyEntry(in ctx, node, id, ref entry);
        }
    }

    int IRawFileSystem.Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        // ENOSYS would make the kernel use MKNOD + OPEN for every later create on the mount: only when that works here.
        if (dir is not INodeCreate create) return dir is INodeMknod ? Errno.ENOSYS : Errno.EPERM;
        FopenFlags openFlags = default;
        r = create.Create(in ctx, name, mode, umask, flags, out var made, out var handle, ref openFlags);
        if (r != 0) return r;
        if (made is null)
        {
            handle?.Release(in ctx);
            return NullNode("CREATE");
        }
        r = AdoptAndReply(in ctx, dir, name, made, ref entry);
        if (r != 0)
        {
            handle?.Release(in ctx);
            return r;
        }
        open.OpenFlags = (uint)openFlags;
        if (handle is not null) open.Fh = _handles.Add(handle);
        return Status.Ok;
    }

    int IRawFileSystem.Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeMkdir mkdir) return Errno.ENOSYS;
        r = mkdir.Mkdir(in ctx, name, mode, umask, out var made);
        if (r != 0) return r;
        return made is null ? NullNode("MKDIR") : AdoptAndReply(in ctx, dir, name, made, ref entry);
    }

    int IRawFileSystem.Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeMknod mknod) return Errno.ENOSYS;
        r = mknod.Mknod(in ctx, name, mode, rdev, umask, out var made);
        if (r != 0) return r;
        return made is null ? NullNode("MKNOD") : AdoptAndReply(in ctx, dir, name, made, ref entry);
    }

    int IRawFileSystem.Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeSymlink symlink) return Errno.ENOSYS;
        r = symlink.Symlink(in ctx, name, target, out var made);
        if (r != 0) return r;
        return made is null ? NullNode("SYMLINK") : AdoptAndReply(in ctx, dir, name, made, ref entry);
    }

    int IRawFileSystem.Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry) =>
        _readOnly ? Errno.EROFS : Errno.ENOSYS;

    int IRawFileSystem.Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeUnlink unlink) return Errno.ENOSYS;
        r = unlink.Unlink(in ctx, name, dir.FindChild(name));
        if (r == 0) dir.RemoveChild(name);
        return r;
    }

    int IRawFileSystem.Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeRmdir rmdir) return Errno.ENOSYS;
        r = rmdir.Rmdir(in ctx, name, dir.FindChild(name));
        if (r == 0) dir.RemoveChild(name);
        return r;
    }

    int IRawFileSystem.Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        int r = Directory(parent, out var dir);
        if (r != 0) return r;
        r = Directory(newParent, out var newDir);
        if (r != 0) return r;
        if (_readOnly) return Errno.EROFS;
        if (dir is not INodeRename rename) return Errno.ENOSYS;
        r = rename.Rename(in ctx, name, newDir, newName, flags);
        if (r == 0) Move(dir, name, newDir, newName, (flags & Linux.RENAME_EXCHANGE) != 0);
        return r;
    }

    /// <summary>The tree after a rename: both directories locked, the one made first first.</summary>
    private static void Move(Node from, ReadOnlySpan<byte> name, Node to, ReadOnlySpan<byte> newName, bool exchange)
    {
        var a = from.EnsureTable();
        var b = to.EnsureTable();
        if (ReferenceEquals(a, b))
        {
            lock (a.Sync) MoveLocked(a, from, name, a, to, newName, exchange);
            return;
        }
        var (first, second) = from.Seq < to.Seq ? (a, b) : (b, a);
        lock (first.Sync)
        lock (second.Sync)
            MoveLocked(a, from, name, b, to, newName, exchange);
    }

    private static void MoveLocked(ChildTable a, Node from, ReadOnlySpan<byte> name, ChildTable b, Node to, ReadOnlySpan<byte> newName, bool exchange)
    {
        var src = a.Find(name);
        var dst = b.Find(newName);
        if (src is not null && ReferenceEquals(src, dst)) return;    // two names of one node: rename(2) does nothing
        if (src is not null) a.RemoveLocked(src);
        if (dst is not null) b.RemoveLocked(dst);
        if (src is not null) b.AddLocked(to, newName.ToArray(), src);
        if (exchange && dst is not null) a.AddLocked(from, name.ToArray(), dst);
    }
}
