using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Inodes;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Nodes;

/// <summary>
/// Serves a tree of <see cref="Node"/>s through the raw API: mount it like any <see cref="IRawFileSystem"/>
/// (<c>FuseSession.Mount(new NodeFileSystem(root), …)</c>). It keeps what the kernel needs (node ids in an
/// <see cref="InodeTable{T}"/>, lookup counts, FORGET and BATCH_FORGET, generation numbers, open file handles by
/// fh), answers LOOKUP of a child the tree holds from the tree, and asks the nodes' capabilities for the rest.
/// <para><b>Node ids.</b> A node gets a node id the first time the kernel learns of it (a LOOKUP, CREATE, MKDIR,
/// MKNOD or SYMLINK reply, or a READDIRPLUS entry); each counts one lookup. When FORGET has taken every lookup back
/// the id is freed (its generation moves on, so the kernel's stale id never names another node), the node's
/// <see cref="Node.OnForget"/> runs, and a dynamic node without children leaves the tree. A node the kernel learns
/// of again gets a new id; its inode number (<see cref="Node.Ino"/>) stays.</para>
/// <para><b>Attach and forget without a lock.</b> A node's state word (<see cref="Node.KernelId"/>) is 0, its id, or
/// <see cref="Node.Gone"/>, and changes only by CompareExchange: attach acquires the id it reads (the table refuses a
/// freed one), or adds the node to the table and publishes the new id with CAS(old → new), giving the slot back if
/// another thread won; forget releases the count and, when that freed the id, CAS(id → 0), which fails if an attach
/// got in first (the kernel holds the node again: no OnForget, no pruning). Pruning a dynamic node takes its parent's
/// lock and CAS(0 → Gone) before removing it, so a lookup that found it in the tree just before sees Gone and looks the
/// name up again instead of reviving a node that is no longer in the tree.</para>
/// <para>Handlers of the node API answer synchronously, except those whose reply the runtime does not add to: read,
/// write, flush, fsync and locks may return <see cref="Status.Deferred"/> after <see cref="RequestContext.Defer"/>.</para>
/// </summary>
public partial class NodeFileSystem : IRawFileSystem
{
    private readonly InodeTable<Node> _nodes;
    private readonly HandleTable _handles = new();
    private readonly Node _root;
    private readonly NodeFileSystemOptions _options;
    private readonly ulong _entrySec, _attrSec, _negSec, _bornSec;
    private readonly uint _entryNsec, _attrNsec, _negNsec, _bornNsec;
    private readonly uint _uid, _gid;
    private readonly bool _readOnly, _xattrs;
    private FuseSession? _session;

    /// <summary>A filesystem serving the tree under <paramref name="root"/>, a directory that is not in another
    /// tree. The root is persistent, has node id 1 and, unless it was given one, inode number 1.</summary>
    public NodeFileSystem(Node root, NodeFileSystemOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!root.IsDirectory) throw new ArgumentException("the root must be a directory", nameof(root));
        if (root.Parent is not null || Interlocked.CompareExchange(ref root.Owner, this, null) is not null)
            throw new ArgumentException("the root is already in a tree or served by another NodeFileSystem", nameof(root));
        _root = root;
        root.IsRoot = true;
        root.Persistent = true;
        root.UseRootIno();
        _nodes = new InodeTable<Node>(root);
        Volatile.Write(ref root.KernelId, InodeTable<Node>.RootId);

        _options = options ?? new NodeFileSystemOptions();
        CacheTimeout.Split(_options.EntryTimeout, out _entrySec, out _entryNsec);
        CacheTimeout.Split(_options.AttrTimeout, out _attrSec, out _attrNsec);
        CacheTimeout.Split(_options.NegativeTimeout, out _negSec, out _negNsec);
        var (sec, nsec) = Interop.Clock.RealtimeNow();
        _bornSec = (ulong)sec;
        _bornNsec = nsec;
        _uid = _options.Uid;
        _gid = _options.Gid;
        _readOnly = _options.ReadOnly;
        _xattrs = _options.Xattrs;
    }

    /// <summary>The root directory (node id 1).</summary>
    public Node Root => _root;
    /// <summary>The settings this filesystem runs with.</summary>
    public NodeFileSystemOptions Options => _options;
    /// <summary>The session serving this filesystem, from INIT on (null before): its notifications and stats.</summary>
    public FuseSession? Session => Volatile.Read(ref _session);
    /// <summary>Nodes the kernel holds now (they have a node id), the root included.</summary>
    public int KnownNodes => _nodes.LiveCount;
    /// <summary>Open file handles (<see cref="IFileHandle"/>s not yet released).</summary>
    public int OpenHandles => _handles.Count;

    /// <summary>The node with kernel node id <paramref name="nodeId"/>, or null (unknown or forgotten).</summary>
    public Node? GetNode(ulong nodeId) => _nodes.Get(nodeId);

    /// <summary>The open file handle the kernel calls <paramref name="fh"/>, or null.</summary>
    public IFileHandle? GetHandle(ulong fh) => _handles.Get(fh);

    void IRawFileSystem.Init(FuseConnection connection)
    {
        Volatile.Write(ref _session, connection.Session);
        if (_options.Locks) connection.Want |= InitFlags.PosixLocks | InitFlags.FlockLocks;
        OnInit(connection);
    }

    void IRawFileSystem.Destroy() => OnDestroy();

    /// <summary>Called while the kernel's INIT is answered, after the node API's own choices: read what the kernel
    /// offers, change <see cref="FuseConnection.Want"/> and the limits. The default does nothing.</summary>
    protected virtual void OnInit(FuseConnection connection) { }

    /// <summary>Called once when the session ends (DESTROY or unmount). The default does nothing.</summary>
    protected virtual void OnDestroy() { }

    // ---------------------------------------------------------------- attach: a node id for the kernel

    /// <summary>
    /// Count one kernel reference to <paramref name="n"/>, giving it a node id when it has none (see the class
    /// remarks). Returns the node id, or 0 when a forget took the node out of the tree meanwhile (<see cref="Node.Gone"/>):
    /// the caller then looks the name up again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Attach(Node n)
    {
        ulong id = Volatile.Read(ref n.KernelId);
        if (id != 0 && id != Node.Gone && _nodes.Acquire(id)) return id;    // the hot path: the kernel holds it
        return AttachSlow(n);
    }

    private ulong AttachSlow(Node n)
    {
        var owner = Volatile.Read(ref n.Owner) ?? Interlocked.CompareExchange(ref n.Owner, this, null) ?? this;
        if (!ReferenceEquals(owner, this)) throw new InvalidOperationException($"node '{n}' is served by another NodeFileSystem");
        while (true)
        {
            ulong id = Volatile.Read(ref n.KernelId);
            if (id == Node.Gone) return 0;
            if (id != 0 && _nodes.Acquire(id)) return id;
            ulong fresh = _nodes.Add(n);
            if (Interlocked.CompareExchange(ref n.KernelId, fresh, id) == id) return fresh;
            _nodes.Release(fresh, 1, out _);   // another thread gave it an id first: return the slot, use theirs
        }
    }

    // ---------------------------------------------------------------- attributes

    /// <summary>The defaults (see <see cref="INodeGetattr"/>), then the node's own answer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FillAttr(in RequestContext ctx, Node n, ref FuseAttr a)
    {
        uint mode = n.Mode;
        a.Ino = n.Ino;
        a.Mode = mode;
        a.Nlink = n.DefaultNlink;
        a.Uid = _uid;
        a.Gid = _gid;
        a.Blksize = 4096;
        a.Atime = a.Mtime = a.Ctime = _bornSec;
        a.Atimensec = a.Mtimensec = a.Ctimensec = _bornNsec;
        if (n is INodeGetattr g)
        {
            int r = g.Getattr(in ctx, ref a);
            if (r != 0) return r;
            a.Mode = (a.Mode & ~Linux.S_IFMT) | (mode & Linux.S_IFMT);   // the kernel marks an inode bad if its type changes
            if (a.Blocks == 0 && a.Size != 0 && (mode & Linux.S_IFMT) == Linux.S_IFREG) a.Blocks = (a.Size + 511) >> 9;
        }
        return Status.Ok;
    }

    /// <summary>An entry reply for <paramref name="n"/>, which the kernel now holds as <paramref name="id"/>; if the
    /// node's attributes fail, the lookup just counted is taken back.</summary>
    private int ReplyEntry(in RequestContext ctx, Node n, ulong id, ref FuseEntryOut e)
    {
        FillEntryTimes(id, ref e);
        int r = FillAttr(in ctx, n, ref e.Attr);
        if (r != 0) Drop(id, 1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FillEntryTimes(ulong id, ref FuseEntryOut e)
    {
        e.Nodeid = id;
        e.Generation = InodeTable<Node>.GenerationOf(id);
        e.EntryValid = _entrySec;
        e.EntryValidNsec = _entryNsec;
        e.AttrValid = _attrSec;
        e.AttrValidNsec = _attrNsec;
    }

    /// <summary>The node <paramref name="id"/> as a directory: 0, ENOENT or ENOTDIR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Directory(ulong id, out Node dir)
    {
        if (!_nodes.TryGet(id, out dir!)) return Errno.ENOENT;
        return dir.IsDirectory ? Status.Ok : Errno.ENOTDIR;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NullNode(string op)
    {
        Log.Error($"node API: a {op} capability answered 0 without a node; answered EIO");
        return Errno.EIO;
    }
}
