using FastFuse.Api;
using FastFuse.Inodes;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Creating names: MKNOD, MKDIR, SYMLINK, CREATE, TMPFILE, LINK (one tree-lock write section each).
public sealed partial class MemFs
{
    // ---------------------------------------------------------------- creating names

    /// <summary>Link a new node under <paramref name="parent"/> and answer its entry (one kernel lookup).</summary>
    private int Insert(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, MemNode node, bool open, ref FuseEntryOut entry)
    {
        if (name.Length > NameMax) return Errno.ENAMETOOLONG;
        _tree.EnterWriteLock();
        try
        {
            int rc = GetDir(parent, out var d);
            if (rc != 0) return rc;
            // As the VFS orders it: search permission, then an existing name, then write permission.
            if ((rc = Permitted(in ctx, d, MayExec)) != 0) return rc;
            if (d.Find(name) is not null) return Errno.EEXIST;
            if ((rc = Permitted(in ctx, d, MayWrite)) != 0) return rc;
            if (Interlocked.Increment(ref _inodes) > _maxInodes)
            {
                Interlocked.Decrement(ref _inodes);
                return Errno.ENOSPC;                  // nr_inodes reached
            }
            InitNew(in ctx, d, node);
            if (open) node.OpenCount = 1;
            node.Id = _table.Add(node, 2); // its own reference + the kernel's lookup
            d.Add(name, node);
            var now = node.Ctime;
            lock (d)
            {
                if (node is DirNode) d.Nlink++;
                d.Mtime = now;
                d.Ctime = now;
            }
            FillEntry(node, ref entry);
            return Status.Ok;
        }
        finally
        {
            _tree.ExitWriteLock();
        }
    }

    private static void InitNew(in RequestContext ctx, DirNode d, MemNode node)
    {
        var now = Timespec.Now();
        node.Uid = ctx.Uid;
        node.Gid = ctx.Gid;
        if ((d.Mode & Linux.S_ISGID) != 0)
        {
            node.Gid = d.Gid;                         // setgid directory: inherit its group
            if (node is DirNode) node.Mode |= Linux.S_ISGID; // and subdirectories stay setgid
        }
        node.Atime = now;
        node.Mtime = now;
        node.Ctime = now;
        node.Btime = now;
        node.HasSelfRef = true;
        if (node is DirNode nd)
        {
            nd.Nlink = 2;
            nd.Parent = d;
        }
        else
        {
            node.Nlink = 1;
        }
    }

    public int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry)
    {
        uint type = mode & Linux.S_IFMT;
        uint perm = mode & PermMask & ~umask;
        MemNode node;
        switch (type)
        {
            case 0:
            case Linux.S_IFREG:
                node = new FileNode(Linux.S_IFREG | perm);
                break;
            case Linux.S_IFIFO:
            case Linux.S_IFSOCK:
            case Linux.S_IFCHR:
            case Linux.S_IFBLK:
                node = new MemNode(type | perm);
                if (type is Linux.S_IFCHR or Linux.S_IFBLK) node.Rdev = rdev;
                break;
            default:
                return Errno.EINVAL;
        }
        return Insert(in ctx, parent, name, node, open: false, ref entry);
    }

    public int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry)
    {
        var node = new DirNode(Linux.S_IFDIR | (mode & PermMask & ~umask));
        return Insert(in ctx, parent, name, node, open: false, ref entry);
    }

    public int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry)
    {
        if (target.IsEmpty) return Errno.ENOENT;
        if (target.Length >= PathMax) return Errno.ENAMETOOLONG;
        var node = new SymlinkNode(target.ToArray());
        return Insert(in ctx, parent, name, node, open: false, ref entry);
    }

    public int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        if (name.Length > NameMax) return Errno.ENAMETOOLONG;
        var node = new FileNode(Linux.S_IFREG | (mode & PermMask & ~umask));
        int rc = Insert(in ctx, parent, name, node, open: true, ref entry);
        if (rc == Errno.EEXIST && (flags & O_EXCL) == 0)
        {
            // Lost a race with another creator: open what is there, as open(O_CREAT) without O_EXCL does.
            rc = Lookup(in ctx, parent, name, ref entry);
            if (rc != 0) return rc;
            if (entry.Nodeid == 0) return Errno.ENOENT;
            rc = Open(in ctx, entry.Nodeid, flags, ref open);
            if (rc != 0) Forget(entry.Nodeid, 1);
            else if (_table.TryGet(entry.Nodeid, out var existing)) FillEntry(existing, ref entry); // size after O_TRUNC
            return rc;
        }
        if (rc != 0) return rc;
        open.Fh = NewHandle();
        open.OpenFlags = OpenFlagsFor(node);
        return Status.Ok;
    }

    /// <summary>O_TMPFILE: a file in no directory (nlink 0), open once; <see cref="Link"/> may name it later unless
    /// O_EXCL was given. It counts against nr_inodes from now on, as on tmpfs.</summary>
    public int Tmpfile(in RequestContext ctx, ulong parent, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        var node = new FileNode(Linux.S_IFREG | (mode & PermMask & ~umask));
        _tree.EnterWriteLock();
        try
        {
            int rc = GetDir(parent, out var d);
            if (rc != 0) return rc;
            if ((rc = Permitted(in ctx, d, MayWrite | MayExec)) != 0) return rc;
            if (Interlocked.Increment(ref _inodes) > _maxInodes)
            {
                Interlocked.Decrement(ref _inodes);
                return Errno.ENOSPC;
            }
            InitNew(in ctx, d, node);
            node.Nlink = 0;
            node.OpenCount = 1;
            node.Linkable = (flags & O_EXCL) == 0;
            node.Id = _table.Add(node, 2); // its own reference (open) + the kernel's lookup
            FillEntry(node, ref entry);
        }
        finally
        {
            _tree.ExitWriteLock();
        }
        open.Fh = NewHandle();
        open.OpenFlags = OpenFlagsFor(node);
        return Status.Ok;
    }

    public int Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry)
    {
        if (newName.Length > NameMax) return Errno.ENAMETOOLONG;
        _tree.EnterWriteLock();
        try
        {
            if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
            if (n is DirNode) return Errno.EPERM;
            int rc = GetDir(newParent, out var d);
            if (rc != 0) return rc;
            if (d.Find(newName) is not null) return Errno.EEXIST;
            if ((rc = Permitted(in ctx, d, MayWrite | MayExec)) != 0) return rc;
            if (Pinned(n)) return Errno.EPERM;     // vfs_link: an immutable or append-only inode gets no new name
            var now = Timespec.Now();
            lock (n)
            {
                if (n.Nlink == 0 && !n.Linkable) return Errno.ENOENT;   // unlinked, not an O_TMPFILE file
                if (n.Nlink >= 65000) return Errno.EMLINK;
                n.Nlink++;
                n.Linkable = false;       // as the VFS clears I_LINKABLE: a name given once, never again after unlink
                n.Ctime = now;
            }
            d.Add(newName, n);
            Touch(d, now);
            _table.Acquire(n.Id);
            FillEntry(n, ref entry);
            return Status.Ok;
        }
        finally
        {
            _tree.ExitWriteLock();
        }
    }
}
