using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Handles, file data, directories listings, xattrs.
public sealed partial class MemFs
{
    // ---------------------------------------------------------------- handles

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        int rc;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is DirNode) return Errno.EISDIR;
        if ((rc = Permitted(in ctx, n, OpenWants(flags))) != 0) return rc;
        if ((rc = AppendOpenDenied(n, flags)) != 0) return rc;
        lock (n)
        {
            if (n.Nlink == 0 && n.OpenCount == 0) return Errno.ENOENT;
            if ((flags & O_TRUNC) != 0 && n is FileNode f)
            {
                // ATOMIC_O_TRUNC: the kernel leaves truncation to us. As on Linux, times change even if already empty.
                f.Truncate(0, _store);
                var now = Timespec.Now();
                f.Mtime = now;
                f.Ctime = now;
            }
            n.OpenCount++;
        }
        open.Fh = NewHandle();
        open.OpenFlags = OpenFlagsFor(n);
        return Status.Ok;
    }

    public int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner)
    {
        ReleaseLocks(nodeId, fh, releaseFlags, lockOwner);
        CloseHandle(nodeId);
        return Status.Ok;
    }

    private void CloseHandle(ulong nodeId)
    {
        if (!_table.TryGet(nodeId, out var n)) return;
        bool drop;
        lock (n)
        {
            if (n.OpenCount > 0) n.OpenCount--;
            drop = n.TakeSelfRefIfUnreferenced();
        }
        if (drop) DropSelfRef(n);
    }

    public int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Status.Ok;

    public int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Status.Ok;

    public int Syncfs(in RequestContext ctx, ulong nodeId) => Status.Ok;

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        int rc;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not DirNode) return Errno.ENOTDIR;
        if ((rc = Permitted(in ctx, n, MayRead)) != 0) return rc;
        lock (n)
        {
            if (n.Nlink == 0 && n.OpenCount == 0) return Errno.ENOENT;
            n.OpenCount++;
        }
        open.Fh = nodeId;
        return Status.Ok;
    }

    public int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags)
    {
        CloseHandle(nodeId);
        return Status.Ok;
    }

    // ---------------------------------------------------------------- data

    /// <summary>READs up to this size are copied rather than sent from inside the file's lock (see Read).</summary>
    private const int CopyReadsUpTo = 64 * 1024;

    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not FileNode f) return n is DirNode ? Errno.EISDIR : Errno.EINVAL;
        if (offset < 0) return Errno.EINVAL;
        size = Math.Min(size, data.Remaining);
        // Small reads are copied into the request's reply memory under the lock, and the reply is written after the
        // lock is released: two readers of one file then never wait for each other's writev. Large reads lend the
        // chunks themselves and are sent inside the lock, which keeps them from being truncated away or reused.
        bool copy = size <= CopyReadsUpTo;
        lock (f)
        {
            f.Read(offset, size, ref data, copy);
            if (!copy) data.Send();
            Accessed(f, directory: false);
        }
        return Status.Ok;
    }

    public int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not FileNode f) return n is DirNode ? Errno.EISDIR : Errno.EINVAL;
        if (offset < 0) return Errno.EINVAL;
        if (data.IsEmpty) return Status.Ok;
        long max = _options.MaxFileSize;
        if (offset >= max) return Errno.EFBIG;
        if (data.Length > max - offset) data = data[..(int)(max - offset)]; // short write up to the limit, as ext4
        HashSet<ulong>? waiters = null;
        lock (f)
        {
            if ((f.Flags & FsImmutable) != 0) return Errno.EPERM;   // made immutable after this file was opened
            int w = f.Write(offset, data, _store);
            if (w == 0) return Errno.ENOSPC;
            if ((writeFlags & (uint)WriteFlags.KillSuidgid) != 0) KillSuidgid(f);
            var now = Timespec.Now();
            f.Mtime = now;
            f.Ctime = now;
            written = (uint)w;
            if (f.PollWaiters is not null) waiters = TakePollWaiters(f);
        }
        if (waiters is not null) WakePollers(waiters);
        return Status.Ok;
    }

    public int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not FileNode f) return n is DirNode ? Errno.EISDIR : Errno.ENODEV;
        uint m = (uint)mode;
        // vfs_fallocate: nothing on an immutable file; on an append-only one, only allocation that keeps the size.
        if ((f.Flags & FsImmutable) != 0 || ((f.Flags & FsAppend) != 0 && (m & ~Linux.FALLOC_FL_KEEP_SIZE) != 0)) return Errno.EPERM;
        const uint supported = Linux.FALLOC_FL_KEEP_SIZE | Linux.FALLOC_FL_PUNCH_HOLE | Linux.FALLOC_FL_ZERO_RANGE;
        if ((m & ~supported) != 0) return Errno.EOPNOTSUPP;
        bool keep = (m & Linux.FALLOC_FL_KEEP_SIZE) != 0;
        bool punch = (m & Linux.FALLOC_FL_PUNCH_HOLE) != 0;
        bool zero = (m & Linux.FALLOC_FL_ZERO_RANGE) != 0;
        if (punch && (zero || !keep)) return Errno.EOPNOTSUPP;
        if (offset < 0 || length <= 0) return Errno.EINVAL;
        if (length > long.MaxValue - offset) return Errno.EFBIG;
        long end = offset + length;
        lock (f)
        {
            var now = Timespec.Now();
            if (punch)
            {
                f.ZeroRange(offset, length, free: true, _store);
                f.Mtime = now;
                f.Ctime = now;
                return Status.Ok;
            }
            if (end > _options.MaxFileSize) return Errno.EFBIG;
            if (!f.Allocate(offset, length, _store)) return Errno.ENOSPC;
            bool grows = !keep && end > f.Size;
            if (zero) f.ZeroRange(offset, length, free: false, _store);
            if (grows) f.Size = end;
            // ext4 stamps mtime and ctime on every successful allocation, whether or not the size changes.
            f.Mtime = now;
            f.Ctime = now;
        }
        return Status.Ok;
    }

    public int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is not FileNode f) return Errno.EINVAL;
        lock (f)
        {
            switch ((uint)whence)
            {
                case Linux.SEEK_SET:
                    if (offset < 0) return Errno.EINVAL;
                    result = offset;
                    return Status.Ok;
                case Linux.SEEK_END:
                    if (f.Size + offset < 0) return Errno.EINVAL;
                    result = f.Size + offset;
                    return Status.Ok;
                case Linux.SEEK_DATA:
                {
                    if (offset < 0 || offset >= f.Size) return Errno.ENXIO;
                    long r = f.SeekData(offset);
                    if (r < 0) return Errno.ENXIO;
                    result = r;
                    return Status.Ok;
                }
                case Linux.SEEK_HOLE:
                    if (offset < 0 || offset >= f.Size) return Errno.ENXIO;
                    result = f.SeekHole(offset);
                    return Status.Ok;
                default:
                    return Errno.EINVAL;
            }
        }
    }

    public int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        if (flags != 0) return Errno.EINVAL;
        if (!_table.TryGet(nodeIn, out var a) || !_table.TryGet(nodeOut, out var b)) return Errno.ENOENT;
        if (a is DirNode || b is DirNode) return Errno.EISDIR;
        if (a is not FileNode src || b is not FileNode dst) return Errno.EINVAL;
        if ((dst.Flags & FsImmutable) != 0) return Errno.EPERM;
        if (offsetIn < 0 || offsetOut < 0) return Errno.EINVAL;
        long len = (long)Math.Min(length, (ulong)long.MaxValue);
        if (len == 0) return Status.Ok;

        // Two files: lock in node-id order so two opposite copies cannot deadlock.
        object first = src.Id <= dst.Id ? src : dst, second = ReferenceEquals(first, src) ? dst : src;
        bool same = ReferenceEquals(src, dst);
        lock (first)
        {
            bool taken = false;
            try
            {
                if (!same) Monitor.Enter(second, ref taken);
                if (offsetIn >= src.Size) return Status.Ok;
                long count = Math.Min(len, src.Size - offsetIn);
                long max = _options.MaxFileSize;
                if (offsetOut >= max) return Errno.EFBIG;
                count = Math.Min(count, max - offsetOut);
                long r = FileNode.CopyRange(src, offsetIn, dst, offsetOut, count, _store);
                if (r <= 0) return Errno.ENOSPC;
                var now = Timespec.Now();
                dst.Mtime = now;
                dst.Ctime = now;
                copied = (ulong)r;
                return Status.Ok;
            }
            finally
            {
                if (taken) Monitor.Exit(second);
            }
        }
    }

    /// <summary>A read of <paramref name="n"/> (file data, a listing, a symlink's target): its atime as the mount's
    /// rules say (relatime, strictatime, noatime, nodiratime, ro), as a local filesystem keeps it. Call with n
    /// locked.</summary>
    private void Accessed(MemNode n, bool directory)
    {
        var rules = _session?.Atime ?? AtimePolicy.Default;
        if (!rules.MayUpdate(directory) || (n.Flags & FsNoatime) != 0) return;
        var now = Timespec.Now();
        if (rules.Wants(directory, n.Atime.Sec, n.Atime.Nsec, n.Mtime.Sec, n.Mtime.Nsec, n.Ctime.Sec, n.Ctime.Nsec, now.Sec))
            n.Atime = now;
    }

    // ---------------------------------------------------------------- directory listings

    public int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        if (offset < 0) return Errno.EINVAL;
        _tree.EnterReadLock();
        try
        {
            if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
            if (n is not DirNode d) return Errno.ENOTDIR;
            if (d.Nlink == 0) return Status.Ok; // removed while open: empty, as ext4
            if (offset == 0 && !entries.Add("."u8, d.Id, Linux.S_IFDIR, 1)) return Status.Ok;
            if (offset <= 1 && !entries.Add(".."u8, (d.Parent ?? d).Id, Linux.S_IFDIR, 2)) return Status.Ok;
            bool plus = entries.IsPlus;
            int count = d.OrderCount;
            for (int i = d.FirstAfter(Math.Max(offset, DirNode.FirstCookie - 1)); i < count; i++)
            {
                var e = d.EntryAt(i);
                if (e.Removed) continue;
                var child = e.Node;
                if (plus)
                {
                    FuseEntryOut eo = default;
                    FillEntry(child, ref eo);
                    if (!entries.AddPlus(e.Name, in eo, e.Cookie)) break;
                    _table.Acquire(child.Id); // the kernel now holds a lookup of it
                }
                else if (!entries.Add(e.Name, child.Id, child.Type, e.Cookie))
                {
                    break;
                }
            }
            lock (d) Accessed(d, directory: true);
            return Status.Ok;
        }
        finally
        {
            _tree.ExitReadLock();
        }
    }

    // ---------------------------------------------------------------- extended attributes

    /// <summary>0 when the name is acceptable for <paramref name="n"/>; user.* only on files and directories.</summary>
    private static int CheckXattrName(MemNode n, ReadOnlySpan<byte> name, bool write)
    {
        if (name.IsEmpty || name.Length > XattrNameMax) return Errno.ERANGE;
        if (name.StartsWith("user."u8))
        {
            if (n is not FileNode && n is not DirNode) return write ? Errno.EPERM : Errno.ENODATA;
            return name.Length > 5 ? Status.Ok : Errno.EINVAL;
        }
        if (name.StartsWith("trusted."u8) || name.StartsWith("security."u8)) return Status.Ok;
        return Errno.EOPNOTSUPP; // system.* (no ACLs) and unknown namespaces
    }

    public int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        int rc = CheckXattrName(n, name, write: true);
        if (rc != 0) return rc;
        if (Pinned(n)) return Errno.EPERM;   // xattr_permission: no xattr changes on immutable or append-only nodes
        if (name.StartsWith("user."u8) && (rc = Permitted(in ctx, n, MayWrite)) != 0) return rc;
        if (value.Length > XattrSizeMax) return Errno.E2BIG;
        if (name.StartsWith("trusted."u8) && ctx.Uid != 0) return Errno.EPERM;
        uint f = (uint)flags;
        if ((f & ~(Linux.XATTR_CREATE | Linux.XATTR_REPLACE)) != 0) return Errno.EINVAL;
        lock (n)
        {
            bool exists = n.Xattrs?.Contains(name) == true;
            if ((f & Linux.XATTR_CREATE) != 0 && exists) return Errno.EEXIST;
            if ((f & Linux.XATTR_REPLACE) != 0 && !exists) return Errno.ENODATA;
            // Setting a value an xattr already has changes nothing, ctime included (as ext4).
            var current = n.Xattrs?.Get(name);
            if (current is null || !value.SequenceEqual(current))
            {
                (n.Xattrs ??= new XattrSet()).Set(name, value);
                n.Ctime = Timespec.Now();
            }
        }
        return Status.Ok;
    }

    public int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        int rc = CheckXattrName(n, name, write: false);
        if (rc != 0) return rc;
        if (name.StartsWith("user."u8) && (rc = Permitted(in ctx, n, MayRead)) != 0) return rc;
        lock (n)
        {
            var v = n.Xattrs?.Get(name);
            if (v is null) return Errno.ENODATA;
            return value.Set(v);
        }
    }

    public int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        lock (n)
        {
            var set = n.Xattrs;
            int len = set?.ListLength() ?? 0;
            var dst = names.Reserve(len, out int error);
            if (error != 0) return error;
            if (!dst.IsEmpty) set!.WriteList(dst);
        }
        return Status.Ok;
    }

    public int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        int rc = CheckXattrName(n, name, write: true);
        if (rc != 0) return rc;
        if (Pinned(n)) return Errno.EPERM;
        if (name.StartsWith("trusted."u8) && ctx.Uid != 0) return Errno.EPERM;
        if (name.StartsWith("user."u8) && (rc = Permitted(in ctx, n, MayWrite)) != 0) return rc;
        lock (n)
        {
            if (n.Xattrs is null || !n.Xattrs.Remove(name)) return Errno.ENODATA;
            n.Ctime = Timespec.Now();
        }
        return Status.Ok;
    }
}
