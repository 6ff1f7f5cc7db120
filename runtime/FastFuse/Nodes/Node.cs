using System.Text;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

/// <summary>
/// A file, directory or symlink in a tree that the runtime keeps: the node API, after go-fuse's <c>fs</c> package.
/// Subclass it and implement only the capability interfaces the node needs (<see cref="INodeGetattr"/>,
/// <see cref="INodeLookup"/>, <see cref="INodeOpen"/>, <see cref="INodeRead"/>…); <see cref="NodeFileSystem"/> serves
/// the tree to the kernel, and answers what a node does not implement with a standard default.
/// <para>The runtime keeps for each node what the kernel needs: its node id (given the first time the kernel learns
/// of the node, and taken back when the kernel forgets it), the kernel's lookup count, the children of a directory
/// by name, and the listing order of those children (stable readdir offsets).</para>
/// <para><b>Persistent and dynamic nodes.</b> A node added with <see cref="AddChild(ReadOnlySpan{byte}, Node, bool)"/>
/// is persistent by default: it stays in the tree until removed, whether the kernel holds it or not. A node a
/// capability hands back (<see cref="INodeLookup"/>, <see cref="INodeCreate"/>, <see cref="INodeMkdir"/>…) is
/// dynamic unless <see cref="Persistent"/> is set: the tree keeps it while the kernel holds it, and drops it once
/// the kernel has forgotten it and it has no children (then <see cref="OnForget"/> has been called).</para>
/// <para>Thread safety: the tree may be changed from any thread, also while mounted; lookups of known children take
/// no lock.</para>
/// </summary>
public partial class Node
{
    /// <summary>The state word of a dynamic node that a forget took out of the tree: a lookup that still found it
    /// there must look the name up again (a node id is never 2^64 − 1: slots stop at 2^31).</summary>
    internal const ulong Gone = ulong.MaxValue;

    private static long s_nextIno = 1;       // automatic inode numbers: 2, 3, … (a tree's root gets 1)
    private static long s_nextSeq;

    /// <summary>The kernel's node id for this node, 0 while the kernel does not hold it, or <see cref="Gone"/>.
    /// Changed only by CompareExchange (see <see cref="NodeFileSystem"/>'s attach and forget).</summary>
    internal ulong KernelId;
    /// <summary>The filesystem serving this node, set when the kernel first learns of it.</summary>
    internal NodeFileSystem? Owner;
    /// <summary>The directory holding this node, or null (the root, or a node not in a tree). Written under the
    /// parent's <see cref="ChildTable.Sync"/>.</summary>
    internal Node? ParentNode;
    /// <summary>This node's name in <see cref="ParentNode"/> (the key of the parent's child table).</summary>
    internal byte[]? NameKey;
    /// <summary>This node's place in the parent's listing order.</summary>
    internal ChildEntry? Listing;
    /// <summary>Children of a directory, made on the first <see cref="AddChild(ReadOnlySpan{byte}, Node, bool)"/>.</summary>
    internal ChildTable? Table;
    /// <summary>Lock order for operations holding two directories (rename): the lower sequence first.</summary>
    internal readonly long Seq = Interlocked.Increment(ref s_nextSeq);

    private ulong _ino;

    /// <summary>A node of the type in <paramref name="mode"/>'s S_IFMT bits (S_IFDIR, S_IFREG, S_IFLNK…), whose
    /// permission bits (mode &amp; 07777) are the default attributes; 0 permission bits mean 0755 for a directory,
    /// 0777 for a symlink and 0644 for anything else. <paramref name="ino"/> is the inode number stat shows; 0 lets
    /// the runtime choose one, the same for the node's whole life.</summary>
    public Node(uint mode, ulong ino = 0)
    {
        uint type = mode & Linux.S_IFMT;
        if (type == 0) throw new ArgumentException("mode must hold a file type (S_IFDIR, S_IFREG, S_IFLNK…)", nameof(mode));
        uint perm = mode & 0xFFF;
        if (perm == 0) perm = type == Linux.S_IFDIR ? 0x1EDu : type == Linux.S_IFLNK ? 0x1FFu : 0x1A4u;
        Mode = type | perm;
        _ino = ino;
    }

    /// <summary>The file type and default permission bits (see the constructor); what stat shows unless the node
    /// implements <see cref="INodeGetattr"/>, which may change the permission bits but never the type.</summary>
    public uint Mode { get; }

    /// <summary>The file type: <c>Mode &amp; S_IFMT</c>.</summary>
    public uint Type => Mode & Linux.S_IFMT;

    /// <summary>True for a directory (S_IFDIR).</summary>
    public bool IsDirectory => (Mode & Linux.S_IFMT) == Linux.S_IFDIR;

    /// <summary>The inode number stat shows: given to the constructor, or chosen once by the runtime.</summary>
    public ulong Ino
    {
        get
        {
            ulong ino = Volatile.Read(ref _ino);
            return ino != 0 ? ino : ChooseIno();
        }
    }

    private ulong ChooseIno()
    {
        ulong next = (ulong)Interlocked.Increment(ref s_nextIno);
        ulong seen = Interlocked.CompareExchange(ref _ino, next, 0);
        return seen == 0 ? next : seen;
    }

    /// <summary>Give the root of a tree inode number 1 unless it has one of its own.</summary>
    internal void UseRootIno() => Interlocked.CompareExchange(ref _ino, InodeRootIno, 0);

    private const ulong InodeRootIno = 1;

    /// <summary>
    /// Kept in the tree while the kernel does not hold it (true for nodes added by <see cref="AddChild(ReadOnlySpan{byte}, Node, bool)"/>
    /// and for a tree's root). A dynamic node (false) leaves the tree once the kernel forgets it and it has no children.
    /// Set it before handing the node to the runtime.
    /// </summary>
    public bool Persistent { get; set; }

    /// <summary>The kernel's node id for this node, or 0 while the kernel does not hold it (never looked up, or
    /// forgotten). A forgotten node gets a new id when it is looked up again; <see cref="Ino"/> stays the same.</summary>
    public ulong NodeId
    {
        get
        {
            ulong id = Volatile.Read(ref KernelId);
            return id == Gone ? 0 : id;
        }
    }

    /// <summary>The filesystem serving this node, once the kernel has learned of it (null before).</summary>
    public NodeFileSystem? FileSystem => Volatile.Read(ref Owner);

    /// <summary>The directory holding this node; null for the root and for a node that is not in a tree.</summary>
    public Node? Parent => Volatile.Read(ref ParentNode);

    /// <summary>This node's name in its directory (empty for the root and for a node that is not in a tree).</summary>
    public ReadOnlySpan<byte> Name => Volatile.Read(ref NameKey);

    /// <summary>Called once each time the kernel forgets this node (its lookup count reached zero); the node no
    /// longer has a <see cref="NodeId"/>. A dynamic node then leaves the tree, unless it has children. Runs on a
    /// worker thread; keep it short. The default does nothing.</summary>
    protected virtual void OnForget() { }

    /// <summary>The runtime's way to <see cref="OnForget"/>.</summary>
    internal void Forgotten() => OnForget();

    /// <summary>The name, or "/" for a root.</summary>
    public override string ToString() => NameKey is { } n ? Encoding.UTF8.GetString(n) : "/";
}
