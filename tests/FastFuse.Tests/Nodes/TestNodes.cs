using System.Collections.Concurrent;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Nodes;

namespace FastFuse.Tests.Nodes;

/// <summary>A file with content the test may change behind the kernel's back; counts its forgets and the handles its
/// opens hand out (each an object of its own, released once).</summary>
internal class ContentFile(byte[] content, bool directIo = false) : Node(Linux.S_IFREG | 0x1A4), INodeGetattr, INodeOpen
{
    public volatile byte[] Content = content;
    public int Forgets;
    public readonly ConcurrentQueue<CountingHandle> Handles = new();

    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        attr.Size = (ulong)Content.Length;
        return Status.Ok;
    }

    public int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags)
    {
        if ((flags & 3) != 0) { handle = null; return Errno.EACCES; }
        var h = new CountingHandle(this);
        Handles.Enqueue(h);
        handle = h;
        openFlags = directIo ? FopenFlags.DirectIo : FopenFlags.KeepCache;
        return Status.Ok;
    }

    protected override void OnForget() => Interlocked.Increment(ref Forgets);
}

/// <summary>One open of a <see cref="ContentFile"/>: reads, flushes, fsyncs and releases, counted.</summary>
internal sealed class CountingHandle(ContentFile file) : IFileRead, IFileFlush, IFileFsync
{
    public int Reads, Flushes, Fsyncs, Releases;

    public int Read(in RequestContext ctx, long offset, ref DataReply data)
    {
        Interlocked.Increment(ref Reads);
        var c = file.Content;
        if (offset < c.Length) data.Append(c.AsSpan((int)offset, (int)Math.Min(data.Remaining, c.Length - offset)));
        return Status.Ok;
    }

    public int Flush(in RequestContext ctx, ulong lockOwner)
    {
        Interlocked.Increment(ref Flushes);
        return Status.Ok;
    }

    public int Fsync(in RequestContext ctx, bool dataSync)
    {
        Interlocked.Increment(ref Fsyncs);
        return Status.Ok;
    }

    public void Release(in RequestContext ctx) => Interlocked.Increment(ref Releases);
}

/// <summary>A directory whose children are made when looked up: a name starting with 'd' is a file holding its own
/// name; anything else is ENOENT. Counts the lookups it is asked and the nodes it made.</summary>
internal sealed class DynamicDir() : Node(Linux.S_IFDIR | 0x1ED), INodeLookup
{
    public int Lookups;
    public readonly ConcurrentQueue<ContentFile> Made = new();

    public int Lookup(in RequestContext ctx, ReadOnlySpan<byte> name, out Node? child)
    {
        Interlocked.Increment(ref Lookups);
        child = null;
        if (name.IsEmpty || name[0] != (byte)'d') return Errno.ENOENT;
        var f = new ContentFile(name.ToArray());
        Made.Enqueue(f);
        child = f;
        return Status.Ok;
    }
}

/// <summary>
/// A small read-write filesystem in memory on the node API, for the capabilities that change things: create, mkdir,
/// unlink, rmdir, rename (exchange too), symlink and readlink, setattr (truncate, chmod), write, xattrs. Nodes it
/// makes are persistent (they hold data). Not a model of POSIX: just enough to see each capability through the kernel.
/// </summary>
internal sealed class MemDir() : Node(Linux.S_IFDIR | 0x1ED), INodeCreate, INodeMkdir, INodeUnlink, INodeRmdir, INodeRename, INodeSymlink
{
    public int Create(in RequestContext ctx, ReadOnlySpan<byte> name, uint mode, uint umask, int flags,
        out Node? child, out IFileHandle? handle, ref FopenFlags openFlags)
    {
        handle = null;
        child = new MemFile(mode & 0xFFF) { Persistent = true };
        return Status.Ok;
    }

    public int Mkdir(in RequestContext ctx, ReadOnlySpan<byte> name, uint mode, uint umask, out Node? child)
    {
        child = new MemDir { Persistent = true };
        return Status.Ok;
    }

    public int Unlink(in RequestContext ctx, ReadOnlySpan<byte> name, Node? child) => child is null ? Errno.ENOENT : Status.Ok;

    public int Rmdir(in RequestContext ctx, ReadOnlySpan<byte> name, Node? child) =>
        child is null ? Errno.ENOENT : child.ChildCount != 0 ? Errno.ENOTEMPTY : Status.Ok;

    public int Rename(in RequestContext ctx, ReadOnlySpan<byte> name, Node newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        if (GetChild(name) is null) return Errno.ENOENT;
        var target = newParent.GetChild(newName);
        if ((flags & Linux.RENAME_NOREPLACE) != 0 && target is not null) return Errno.EEXIST;
        if ((flags & Linux.RENAME_EXCHANGE) != 0 && target is null) return Errno.ENOENT;
        return Status.Ok;
    }

    public int Symlink(in RequestContext ctx, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out Node? child)
    {
        child = new MemLink(target.ToArray()) { Persistent = true };
        return Status.Ok;
    }
}

/// <summary>A file of <see cref="MemDir"/>: data written and read on the node (no handles), size and mode settable,
/// extended attributes.</summary>
internal sealed class MemFile(uint perm) : Node(Linux.S_IFREG | (perm == 0 ? 0x1A4 : perm)),
    INodeGetattr, INodeSetattr, INodeRead, INodeWrite, INodeGetxattr, INodeSetxattr, INodeListxattr, INodeRemovexattr
{
    private readonly Lock _sync = new();
    private byte[] _data = [];
    private uint _perm = perm == 0 ? 0x1A4u : perm;
    private readonly Dictionary<string, byte[]> _xattrs = new();

    public byte[] Data { get { lock (_sync) return _data.ToArray(); } }

    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        lock (_sync)
        {
            attr.Size = (ulong)_data.Length;
            attr.Mode = Linux.S_IFREG | _perm;
        }
        return Status.Ok;
    }

    public int Setattr(in RequestContext ctx, IFileHandle? handle, in FuseSetattrIn changes)
    {
        lock (_sync)
        {
            if ((changes.Valid & (uint)SetattrValid.Size) != 0) Array.Resize(ref _data, (int)changes.Size);
            if ((changes.Valid & (uint)SetattrValid.Mode) != 0) _perm = changes.Mode & 0xFFF;
        }
        return Status.Ok;
    }

    public int Read(in RequestContext ctx, IFileHandle? handle, long offset, ref DataReply data)
    {
        lock (_sync)
        {
            if (offset < _data.Length) data.Append(_data.AsSpan((int)offset, (int)Math.Min(data.Remaining, _data.Length - offset)));
        }
        return Status.Ok;
    }

    public int Write(in RequestContext ctx, IFileHandle? handle, long offset, ReadOnlySpan<byte> data, out uint written)
    {
        lock (_sync)
        {
            if (offset + data.Length > _data.Length) Array.Resize(ref _data, (int)offset + data.Length);
            data.CopyTo(_data.AsSpan((int)offset));
        }
        written = (uint)data.Length;
        return Status.Ok;
    }

    public int Getxattr(in RequestContext ctx, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        lock (_sync) return _xattrs.TryGetValue(Encoding.UTF8.GetString(name), out var v) ? value.Set(v) : Errno.ENODATA;
    }

    public int Setxattr(in RequestContext ctx, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        lock (_sync) _xattrs[Encoding.UTF8.GetString(name)] = value.ToArray();
        return Status.Ok;
    }

    public int Listxattr(in RequestContext ctx, ref XattrReply names)
    {
        lock (_sync) return names.Set(Encoding.UTF8.GetBytes(string.Concat(_xattrs.Keys.Select(k => k + "\0"))));
    }

    public int Removexattr(in RequestContext ctx, ReadOnlySpan<byte> name)
    {
        lock (_sync) return _xattrs.Remove(Encoding.UTF8.GetString(name)) ? Status.Ok : Errno.ENODATA;
    }
}

/// <summary>A symlink of <see cref="MemDir"/>.</summary>
internal sealed class MemLink(byte[] target) : Node(Linux.S_IFLNK | 0x1FF), INodeGetattr, INodeReadlink
{
    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        attr.Size = (ulong)target.Length;
        return Status.Ok;
    }

    public int Readlink(in RequestContext ctx, ref DataReply t)
    {
        t.Append(target);
        return Status.Ok;
    }
}

/// <summary>A file whose opens hand out <see cref="LockHandle"/>s: the filesystem keeps the locks (Locks option).</summary>
internal sealed class LockFile() : Node(Linux.S_IFREG | 0x1B6), INodeOpen
{
    public readonly ConcurrentQueue<LockHandle> Handles = new();

    public int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags)
    {
        var h = new LockHandle();
        Handles.Enqueue(h);
        handle = h;
        return Status.Ok;
    }
}

/// <summary>Grants the first lock, refuses the rest (EAGAIN), and reports a write lock of the caller to F_GETLK.</summary>
internal sealed class LockHandle : IFileLocks
{
    public readonly ConcurrentQueue<(uint Type, ulong Start, ulong End, bool Wait)> Sets = new();
    public int Gets;

    public int Getlk(in RequestContext ctx, in FuseLkIn lk, ref FuseLkOut result)
    {
        Interlocked.Increment(ref Gets);
        result.Lk = new FuseFileLock { Type = Linux.F_WRLCK, Start = 0, End = 9, Pid = ctx.Pid };   // a pid the kernel can map back
        return Status.Ok;
    }

    public int Setlk(in RequestContext ctx, in FuseLkIn lk, bool wait)
    {
        Sets.Enqueue((lk.Lk.Type, lk.Lk.Start, lk.Lk.End, wait));
        return Sets.Count == 1 || lk.Lk.Type == Linux.F_UNLCK ? Status.Ok : Errno.EAGAIN;
    }
}
