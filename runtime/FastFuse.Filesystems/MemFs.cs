using FastFuse.Api;
using FastFuse.Inodes;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

/// <summary>
/// A complete read-write filesystem in memory, behaving as ext4 does where POSIX leaves room.
/// <para>Locking: one reader/writer tree lock orders every namespace operation (lookups and readdir read,
/// create/unlink/rename/link write), so a rename across directories is atomic; <c>lock(node)</c> guards a node's
/// attributes and, for files, its data. Order: tree lock, then node locks (two files by node id).</para>
/// <para>Reference counts (<see cref="InodeTable{T}"/>): a node holds one reference for itself while it has a
/// link or an open handle; each LOOKUP/CREATE/MKNOD/MKDIR/SYMLINK/LINK reply and each READDIRPLUS entry adds one;
/// FORGET takes them back. An unlinked file keeps its data until its last handle is released.</para>
/// <para>LOOKUP, GETATTR, READ and WRITE over existing data allocate nothing.</para>
/// </summary>
public sealed partial class MemFs : IRawFileSystem, IDisposable
{
    private const int NameMax = 255;
    private const int PathMax = 4096;
    private const int XattrNameMax = 255;
    private const int XattrSizeMax = 65536;
    private const uint PermMask = 0xFFF;   // 07777
    private const int O_EXCL = 0x80;
    private const int O_TRUNC = 0x200;
    private const int O_APPEND = 0x400;

    private readonly MemFsOptions _options;
    private readonly InodeTable<MemNode> _table;
    private readonly DirNode _root;
    private readonly ChunkStore _store;
    private readonly long _maxInodes;
    /// <summary>Inodes in use: linked or open (the root included). Interlocked.</summary>
    private long _inodes = 1;
    private readonly ReaderWriterLockSlim _tree = new(LockRecursionPolicy.NoRecursion);
    private readonly ulong _entrySec, _attrSec, _negSec;
    private readonly uint _entryNsec, _attrNsec, _negNsec;

    public MemFs(MemFsOptions? options = null)
    {
        _options = options ?? new MemFsOptions();
        if (_options.MaxFileSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxFileSize must be positive");
        CacheTimeout.Split(_options.EntryTimeout, out _entrySec, out _entryNsec);
        CacheTimeout.Split(_options.AttrTimeout, out _attrSec, out _attrNsec);
        CacheTimeout.Split(_options.NegativeTimeout, out _negSec, out _negNsec);
        _store = new ChunkStore(_options.EffectiveCapacity());
        _maxInodes = _options.EffectiveMaxInodes();

        var now = Timespec.Now();
        _root = new DirNode(Linux.S_IFDIR | (_options.RootMode & PermMask))
        {
            Uid = _options.RootUid,
            Gid = _options.RootGid,
            Nlink = 2,
            Atime = now,
            Mtime = now,
            Ctime = now,
            Btime = now,
            HasSelfRef = true,
        };
        _root.Parent = _root;
        _table = new InodeTable<MemNode>(_root);
        _root.Id = InodeTable<MemNode>.RootId;
    }

    /// <summary>The options this filesystem runs with.</summary>
    public MemFsOptions Options => _options;
    /// <summary>Bytes of file data held.</summary>
    public long UsedBytes => _store.Used;
    /// <summary>Bytes of file data that may be held.</summary>
    public long CapacityBytes => _store.Capacity;
    /// <summary>Nodes alive in the inode table (root included).</summary>
    public int LiveNodes => _table.LiveCount;
    /// <summary>Inodes in use (linked or open, the root included); at most <see cref="MaxInodes"/>.</summary>
    public long UsedInodes => Interlocked.Read(ref _inodes);
    /// <summary>Inodes that may exist (nr_inodes).</summary>
    public long MaxInodes => _maxInodes;
    /// <summary>The session serving this filesystem (its mount's atime rules), set at INIT.</summary>
    private Session.FuseSession? _session;

    /// <summary>Unmaps the file data. Call after the session ended: nothing may read or write a file afterwards.</summary>
    public void Dispose() => _store.Dispose();

    public void Init(FuseConnection connection)
    {
        _session = connection.Session;
        connection.Want |= InitFlags.DontMask | InitFlags.AtomicOTrunc | InitFlags.DoReaddirplus |
                           InitFlags.ReaddirplusAuto | InitFlags.ParallelDirops | InitFlags.BigWrites |
                           InitFlags.AsyncRead | InitFlags.PosixLocks | InitFlags.FlockLocks;
        if (_options.WritebackCache) connection.Want |= InitFlags.WritebackCache;
        _connection = connection;
    }

    private FuseConnection? _connection;
    /// <summary>FUSE_WRITEBACK_CACHE was agreed (known once INIT is answered).</summary>
    private bool Writeback => _connection is { } c && c.Has(InitFlags.WritebackCache);

    // ---------------------------------------------------------------- helpers

    private void FillEntry(MemNode n, ref FuseEntryOut entry)
    {
        entry.Nodeid = n.Id;
        entry.Generation = 0;
        entry.EntryValid = _entrySec;
        entry.EntryValidNsec = _entryNsec;
        entry.AttrValid = _attrSec;
        entry.AttrValidNsec = _attrNsec;
        lock (n) n.FillAttr(ref entry.Attr);
    }

    private void FillAttrOut(MemNode n, ref FuseAttrOut attr)
    {
        attr.AttrValid = _attrSec;
        attr.AttrValidNsec = _attrNsec;
        n.FillAttr(ref attr.Attr);
    }

    /// <summary>Drop the node's own table reference and what only it kept alive (its inode is free again).</summary>
    private void DropSelfRef(MemNode n)
    {
        lock (n) n.FreeContents(_store);
        _table.Release(n.Id, 1, out _);
        Interlocked.Decrement(ref _inodes);
    }

    /// <summary>Sticky directory rule: only the entry's owner, the directory's owner or root may remove or rename.</summary>
    private static bool StickyDenies(in RequestContext ctx, DirNode dir, MemNode victim) =>
        (dir.Mode & Linux.S_ISVTX) != 0 && ctx.Uid != 0 && ctx.Uid != dir.Uid && ctx.Uid != victim.Uid;

    private static void Touch(MemNode n, in Timespec now)
    {
        lock (n)
        {
            n.Mtime = now;
            n.Ctime = now;
        }
    }

    private static void TouchCtime(MemNode n, in Timespec now)
    {
        lock (n) n.Ctime = now;
    }

    /// <summary>Resolve a directory for a namespace change (under the tree lock).</summary>
    private int GetDir(ulong id, out DirNode dir)
    {
        dir = null!;
        if (!_table.TryGet(id, out var p)) return Errno.ENOENT;
        if (p is not DirNode d) return Errno.ENOTDIR;
        if (d.Nlink == 0) return Errno.ENOENT; // removed: nothing may be created in it
        dir = d;
        return Status.Ok;
    }

    // ---------------------------------------------------------------- lookup, forget, attributes

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        int rc;
        if (name.Length > NameMax) return Errno.ENAMETOOLONG;
        _tree.EnterReadLock();
        try
        {
            if (!_table.TryGet(parent, out var p)) return Errno.ENOENT;
            if (p is not DirNode d) return Errno.ENOTDIR;
            if (ctx.Uid != 0 && (rc = Permitted(in ctx, d, MayExec)) != 0) return rc;
            MemNode? n;
            if (name.Length == 1 && name[0] == (byte)'.') n = d;
            else if (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.') n = d.Parent ?? d;
            else n = d.Find(name)?.Node;
            if (n is null)
            {
                if (_negSec == 0 && _negNsec == 0) return Errno.ENOENT;
                entry.Nodeid = 0;                // a cached miss
                entry.EntryValid = _negSec;
                entry.EntryValidNsec = _negNsec;
                return Status.Ok;
            }
            if (!_table.Acquire(n.Id)) return Errno.ENOENT;
            FillEntry(n, ref entry);
            return Status.Ok;
        }
        finally
        {
            _tree.ExitReadLock();
        }
    }

    public void Forget(ulong nodeId, ulong nlookup)
    {
        if (nlookup == 0) return;
        _table.Release(nodeId, (long)Math.Min(nlookup, (ulong)long.MaxValue), out _);
    }

    public void BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        foreach (ref readonly var f in forgets) Forget(f.Nodeid, f.Nlookup);
    }

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        lock (n) FillAttrOut(n, ref attr);
        return Status.Ok;
    }

    public int Statx(in RequestContext ctx, ulong nodeId, ulong? fh, uint flags, uint mask, ref FuseStatxOut statx)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        statx.AttrValid = _attrSec;
        statx.AttrValidNsec = _attrNsec;
        lock (n) n.FillStatx(ref statx.Stat);
        return Status.Ok;
    }

    public int Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr)
    {
        int rc;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        var valid = (SetattrValid)changes.Valid;
        bool root = ctx.Uid == 0;
        HashSet<ulong>? waiters = null;
        lock (n)
        {
            bool owner = root || ctx.Uid == n.Uid;
            // Every check first: a failed SETATTR changes nothing. An immutable node refuses every change (as
            // ext4_setattr); an append-only one its mode, owner, size and explicit times.
            if ((n.Flags & FsImmutable) != 0) return Errno.EPERM;
            if ((n.Flags & FsAppend) != 0 && (valid & (SetattrValid.Mode | SetattrValid.Uid | SetattrValid.Gid | SetattrValid.Size)) != 0) return Errno.EPERM;
            if ((valid & SetattrValid.Size) != 0)
            {
                if (n is DirNode) return Errno.EISDIR;
                if (n is not FileNode) return Errno.EINVAL;
                if ((long)changes.Size < 0 || (long)changes.Size > _options.MaxFileSize) return Errno.EFBIG;
                // truncate(2) by path needs write permission; ftruncate (a handle is given) was checked at open.
                if ((valid & SetattrValid.Fh) == 0 && (rc = Permitted(in ctx, n, MayWrite)) != 0) return rc;
            }
            if ((valid & SetattrValid.Mode) != 0 && !owner)
            {
                // A non-owner may only drop setuid/setgid: that is what the kernel sends to kill them on write.
                uint old = n.Mode & PermMask, wanted = changes.Mode & PermMask;
                bool onlyKill = (wanted & ~old) == 0 && ((old & ~wanted) & ~(Linux.S_ISUID | Linux.S_ISGID)) == 0;
                if (!onlyKill) return Errno.EPERM;
            }
            if ((valid & SetattrValid.Uid) != 0 && !root && (ctx.Uid != n.Uid || changes.Uid != n.Uid)) return Errno.EPERM;
            if ((valid & SetattrValid.Gid) != 0 && !owner) return Errno.EPERM;
            // A non-root owner may only give the file to a group they belong to.
            if ((valid & SetattrValid.Gid) != 0 && !root && changes.Gid != n.Gid && !_callerGroups.IsMember(in ctx, changes.Gid)) return Errno.EPERM;
            // Setting both times to "now" is allowed to anyone who may write the file.
            bool nowTimes = (valid & (SetattrValid.AtimeNow | SetattrValid.MtimeNow)) != 0;
            if (nowTimes && !owner && (rc = Permitted(in ctx, n, MayWrite)) != 0) return rc;
            bool explicitTimes = ((valid & SetattrValid.Atime) != 0 && (valid & SetattrValid.AtimeNow) == 0) ||
                                 ((valid & SetattrValid.Mtime) != 0 && (valid & SetattrValid.MtimeNow) == 0);
            // With writeback caching the kernel sends a writer's mtime (with ctime) as explicit times, and a caller's
            // "now" the same way: a caller who may write the file may set them then (see MemFsOptions.WritebackCache).
            bool kernelTimes = explicitTimes && Writeback && (valid & SetattrValid.Ctime) != 0 &&
                               (valid & (SetattrValid.Atime | SetattrValid.AtimeNow)) == 0;
            if (explicitTimes && (n.Flags & FsAppend) != 0) return Errno.EPERM;
            if (explicitTimes && !owner && !(kernelTimes && Permitted(in ctx, n, MayWrite) == 0)) return Errno.EPERM;

            var now = Timespec.Now();
            bool changed = false;
            if ((valid & SetattrValid.Size) != 0)
            {
                var file = (FileNode)n;
                file.Truncate((long)changes.Size, _store);
                n.Mtime = now;
                changed = true;
                if (file.PollWaiters is not null) waiters = TakePollWaiters(file);
            }
            if ((valid & SetattrValid.Mode) != 0)
            {
                n.Mode = (n.Mode & Linux.S_IFMT) | (changes.Mode & PermMask);
                changed = true;
            }
            if ((valid & (SetattrValid.Uid | SetattrValid.Gid)) != 0)
            {
                if ((valid & SetattrValid.Uid) != 0) n.Uid = changes.Uid;
                if ((valid & SetattrValid.Gid) != 0) n.Gid = changes.Gid;
                // chown clears setuid, and setgid when group-executable, on anything but a directory (as ext4).
                if ((valid & SetattrValid.Mode) == 0 && n is not DirNode) KillSuidgid(n);
                changed = true;
            }
            if ((valid & SetattrValid.KillSuidgid) != 0)
            {
                KillSuidgid(n);
                changed = true;
            }
            if ((valid & SetattrValid.Atime) != 0 || (valid & SetattrValid.AtimeNow) != 0)
            {
                n.Atime = (valid & SetattrValid.AtimeNow) != 0 ? now : new Timespec((long)changes.Atime, changes.Atimensec);
                changed = true;
            }
            if ((valid & SetattrValid.Mtime) != 0 || (valid & SetattrValid.MtimeNow) != 0)
            {
                n.Mtime = (valid & SetattrValid.MtimeNow) != 0 ? now : new Timespec((long)changes.Mtime, changes.Mtimensec);
                changed = true;
            }
            if ((valid & SetattrValid.Ctime) != 0) n.Ctime = new Timespec((long)changes.Ctime, changes.Ctimensec);
            else if (changed) n.Ctime = now;
            FillAttrOut(n, ref attr);
        }
        if (waiters is not null) WakePollers(waiters);
        return Status.Ok;
    }

    private static void KillSuidgid(MemNode n)
    {
        uint m = n.Mode & ~Linux.S_ISUID;
        if ((m & 0x8) != 0) m &= ~Linux.S_ISGID; // S_IXGRP
        n.Mode = m;
    }

    public int Access(in RequestContext ctx, ulong nodeId, int mask)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        return Permitted(in ctx, n, (uint)mask & 7);
    }

    public int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs)
    {
        const uint bsize = 4096;
        statfs.St.Bsize = bsize;
        statfs.St.Frsize = bsize;
        statfs.St.Namelen = NameMax;
        // No limit (size=0, nr_inodes=0) reads as 0 blocks / 0 files, as tmpfs reports it.
        long cap = _store.Capacity;
        if (cap != long.MaxValue)
        {
            long free = Math.Max(0, cap - _store.Used);
            statfs.St.Blocks = (ulong)(cap / bsize);
            statfs.St.Bfree = (ulong)(free / bsize);
            statfs.St.Bavail = (ulong)(free / bsize);
        }
        if (_maxInodes != long.MaxValue)
        {
            statfs.St.Files = (ulong)_maxInodes;
            statfs.St.Ffree = (ulong)Math.Max(0, _maxInodes - Interlocked.Read(ref _inodes));
        }
        return Status.Ok;
    }

    // ---------------------------------------------------------------- removing and renaming names

    public int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Remove(in ctx, parent, name, dir: false);

    public int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Remove(in ctx, parent, name, dir: true);

    private int Remove(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, bool dir)
    {
        int rc;
        if (name.Length > NameMax) return Errno.ENAMETOOLONG;
        MemNode? dropped = null;
        _tree.EnterWriteLock();
        try
        {
            if (!_table.TryGet(parent, out var p)) return Errno.ENOENT;
            if (p is not DirNode d) return Errno.ENOTDIR;
            if (dir && name.Length == 1 && name[0] == (byte)'.') return Errno.EINVAL;
            if (dir && name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.') return Errno.ENOTEMPTY;
            if ((rc = Permitted(in ctx, d, MayExec)) != 0) return rc;
            var e = d.Find(name);
            if (e is null) return Errno.ENOENT;
            if ((rc = Permitted(in ctx, d, MayWrite)) != 0) return rc;
            if ((rc = DeleteDenied(d, e.Node)) != 0) return rc;
            var n = e.Node;
            if (dir)
            {
                if (n is not DirNode nd) return Errno.ENOTDIR;
                if (nd.Count != 0) return Errno.ENOTEMPTY;
            }
            else if (n is DirNode)
            {
                return Errno.EISDIR;
            }
            if (StickyDenies(in ctx, d, n)) return Errno.EPERM;

            var now = Timespec.Now();
            d.Remove(e);
            lock (d)
            {
                if (dir) d.Nlink--;
                d.Mtime = now;
                d.Ctime = now;
            }
            if (Unlinked(n, now)) dropped = n;
        }
        finally
        {
            _tree.ExitWriteLock();
        }
        if (dropped is not null) DropSelfRef(dropped);
        return Status.Ok;
    }

    /// <summary>One name of <paramref name="n"/> is gone (under the tree lock). True if its own reference must go.</summary>
    private static bool Unlinked(MemNode n, in Timespec now)
    {
        lock (n)
        {
            if (n is DirNode) n.Nlink = 0;
            else if (n.Nlink > 0) n.Nlink--;
            n.Ctime = now;
            return n.TakeSelfRefIfUnreferenced();
        }
    }

    public int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        int rc;
        if ((flags & ~(Linux.RENAME_NOREPLACE | Linux.RENAME_EXCHANGE)) != 0) return Errno.EINVAL;
        if ((flags & Linux.RENAME_NOREPLACE) != 0 && (flags & Linux.RENAME_EXCHANGE) != 0) return Errno.EINVAL;
        if (name.Length > NameMax || newName.Length > NameMax) return Errno.ENAMETOOLONG;
        if (IsDotOrDotDot(name) || IsDotOrDotDot(newName)) return Errno.EINVAL;
        MemNode? dropped = null;
        _tree.EnterWriteLock();
        try
        {
            if (!_table.TryGet(parent, out var p1)) return Errno.ENOENT;
            if (p1 is not DirNode src) return Errno.ENOTDIR;
            if (!_table.TryGet(newParent, out var p2)) return Errno.ENOENT;
            if (p2 is not DirNode dst) return Errno.ENOTDIR;
            if (dst.Nlink == 0) return Errno.ENOENT; // target directory was removed
            if ((rc = Either(Permitted(in ctx, src, MayExec), Permitted(in ctx, dst, MayExec))) != 0) return rc;
            var se = src.Find(name);
            if (se is null) return Errno.ENOENT;
            var de = dst.Find(newName);
            var sn = se.Node;
            var dn = de?.Node;
            if ((rc = Either(Permitted(in ctx, src, MayWrite | MayExec), Permitted(in ctx, dst, MayWrite | MayExec))) != 0) return rc;
            if ((rc = DeleteDenied(src, sn)) != 0) return rc;
            if (dn is not null && (rc = DeleteDenied(dst, dn)) != 0) return rc;
            // A directory that changes parent rewrites its "..": that needs write permission on it.
            if (src != dst && sn is DirNode && (rc = Permitted(in ctx, sn, MayWrite)) != 0) return rc;
            if (src != dst && dn is DirNode && (flags & Linux.RENAME_EXCHANGE) != 0 && (rc = Permitted(in ctx, dn, MayWrite)) != 0) return rc;
            if (StickyDenies(in ctx, src, sn)) return Errno.EPERM;
            if (dn is not null && StickyDenies(in ctx, dst, dn)) return Errno.EPERM;
            var now = Timespec.Now();

            if ((flags & Linux.RENAME_EXCHANGE) != 0)
            {
                if (de is null || dn is null) return Errno.ENOENT;
                if (ReferenceEquals(sn, dn)) return Status.Ok;
                // Neither directory may end up inside itself.
                if (sn is DirNode sd && !ReferenceEquals(src, dst) && dst.IsWithin(sd)) return Errno.EINVAL;
                if (dn is DirNode dd && !ReferenceEquals(src, dst) && src.IsWithin(dd)) return Errno.EINVAL;
                se.Node = dn;
                de.Node = sn;
                if (!ReferenceEquals(src, dst))
                {
                    bool sIsDir = sn is DirNode, dIsDir = dn is DirNode;
                    if (sIsDir) ((DirNode)sn).Parent = dst;
                    if (dIsDir) ((DirNode)dn).Parent = src;
                    if (sIsDir != dIsDir)
                    {
                        lock (src) src.Nlink = sIsDir ? src.Nlink - 1 : src.Nlink + 1;
                        lock (dst) dst.Nlink = sIsDir ? dst.Nlink + 1 : dst.Nlink - 1;
                    }
                }
                TouchCtime(sn, now);
                TouchCtime(dn, now);
                Touch(src, now);
                if (!ReferenceEquals(src, dst)) Touch(dst, now);
                return Status.Ok;
            }

            if (sn is DirNode moving && !ReferenceEquals(src, dst) && dst.IsWithin(moving)) return Errno.EINVAL;
            if (dn is not null)
            {
                if ((flags & Linux.RENAME_NOREPLACE) != 0) return Errno.EEXIST;
                if (ReferenceEquals(sn, dn)) return Status.Ok; // two names of one inode: nothing to do
                if (sn is DirNode)
                {
                    if (dn is not DirNode dnd) return Errno.ENOTDIR;
                    if (dnd.Count != 0) return Errno.ENOTEMPTY;
                }
                else if (dn is DirNode)
                {
                    return Errno.EISDIR;
                }
            }
            // Commit.
            if (de is not null)
            {
                de.Node = sn;                 // the target name keeps its place in the listing
                if (dn is DirNode) lock (dst) dst.Nlink--;
                if (Unlinked(dn!, now)) dropped = dn;
            }
            else
            {
                dst.Add(newName, sn);
            }
            src.Remove(se);
            if (sn is DirNode sdir && !ReferenceEquals(src, dst))
            {
                sdir.Parent = dst;
                lock (src) src.Nlink--;
                lock (dst) dst.Nlink++;
            }
            TouchCtime(sn, now);
            Touch(src, now);
            if (!ReferenceEquals(src, dst)) Touch(dst, now);
        }
        finally
        {
            _tree.ExitWriteLock();
        }
        if (dropped is not null) DropSelfRef(dropped);
        return Status.Ok;
    }

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> name) =>
        (name.Length == 1 && name[0] == (byte)'.') || (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.');

    // ---------------------------------------------------------------- symlinks

    public int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not SymlinkNode s) return Errno.EINVAL;
        int len = Math.Min(s.Target.Length, target.Remaining);
        target.Append(s.Target.AsSpan(0, len));
        lock (s) Accessed(s, directory: false);
        return Status.Ok;
    }
}
