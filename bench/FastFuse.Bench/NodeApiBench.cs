using System.Runtime.CompilerServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FastFuse.Api;
using FastFuse.Inodes;
using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Session;
using FastFuse.Transport.DevFuse;

namespace FastFuse.Bench;

/// <summary>
/// What the node API costs over the raw API, per opcode: the same tree (/dir holding "file", 4 KiB, and 100 more
/// files) served once by <see cref="RawTreeFs"/>, an <see cref="IRawFileSystem"/> written the way a careful raw
/// filesystem is (an inode table with lookup counts, a name map per directory, a pinned buffer for the data), and
/// once by <see cref="NodeFileSystem"/> over nodes doing the same (a handle object per open). Each request goes the
/// whole way in process (decode, dispatch, handler, reply encode, epoch check) into a channel that only counts
/// bytes, as in <see cref="DispatchBench"/>. The Ratio column is node / raw.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class NodeApiBench
{
    private TreeFixture _raw = null!, _node = null!;

    [GlobalSetup]
    public void Setup()
    {
        _raw = new TreeFixture(new RawTreeFs());
        _node = new TreeFixture(NodeTree.Make());
        // The same answers, or the comparison means nothing.
        foreach (var (name, raw, node) in new[] { ("GETATTR", _raw.GetattrBytes, _node.GetattrBytes), ("LOOKUP", _raw.LookupBytes, _node.LookupBytes),
                     ("READ", _raw.ReadBytes, _node.ReadBytes), ("READDIR", _raw.ReaddirBytes, _node.ReaddirBytes) })
            if (raw != node) throw new InvalidOperationException($"{name}: the raw tree answers {raw} bytes, the node tree {node}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        _node.Dispose();
    }

    [BenchmarkCategory("GETATTR"), Benchmark(Baseline = true)]
    public void Raw_Getattr() => _raw.Run(_raw.Getattr);

    [BenchmarkCategory("GETATTR"), Benchmark]
    public void Node_Getattr() => _node.Run(_node.Getattr);

    [BenchmarkCategory("LOOKUP"), Benchmark(Baseline = true)]
    public void Raw_Lookup() => _raw.Run(_raw.Lookup);

    [BenchmarkCategory("LOOKUP"), Benchmark]
    public void Node_Lookup() => _node.Run(_node.Lookup);

    [BenchmarkCategory("READ 4K"), Benchmark(Baseline = true)]
    public void Raw_Read4K() => _raw.Run(_raw.Read);

    [BenchmarkCategory("READ 4K"), Benchmark]
    public void Node_Read4K() => _node.Run(_node.Read);

    [BenchmarkCategory("READDIR"), Benchmark(Baseline = true)]
    public void Raw_Readdir() => _raw.Run(_raw.Readdir);

    [BenchmarkCategory("READDIR"), Benchmark]
    public void Node_Readdir() => _node.Run(_node.Readdir);
}

/// <summary>An initialised in-process session over one of the two trees, and the four prebuilt requests (ids and
/// the file handle learnt by LOOKUP and OPEN, as the kernel would).</summary>
public sealed unsafe class TreeFixture : IDisposable
{
    internal readonly NullChannel Channel = new();
    public readonly FuseSession Session;
    internal readonly DevFuseWorker Worker;
    public readonly NativeRequest Getattr, Lookup, Read, Readdir;
    /// <summary>Bytes of each reply (header included), for checking that both trees answer alike.</summary>
    public readonly long GetattrBytes, LookupBytes, ReadBytes, ReaddirBytes;

    public TreeFixture(IRawFileSystem fs)
    {
        Session = FuseSession.FromChannel(fs, Channel, new SessionOptions { Threads = 1 });
        Worker = Session.CreateInlineWorker();
        Once(Requests.Init(), "INIT");
        ulong dir = FirstWord(Requests.Lookup(2, 1, "dir"), "LOOKUP dir");
        ulong file = FirstWord(Requests.Lookup(3, dir, "file"), "LOOKUP file");
        ulong fh = FirstWord(Requests.Open(4, file), "OPEN");
        Getattr = new NativeRequest(Requests.Getattr(10, file));
        Lookup = new NativeRequest(Requests.Lookup(11, dir, "file"));
        Read = new NativeRequest(Requests.Read(12, file, fh, 0, 4096));
        Readdir = new NativeRequest(Requests.Readdir(13, dir, 4096));
        ReadBytes = Answer(Read);
        if (ReadBytes != 16 + 4096) throw new InvalidOperationException("READ setup failed");
        GetattrBytes = Answer(Getattr);
        LookupBytes = Answer(Lookup);
        ReaddirBytes = Answer(Readdir);
    }

    private long Answer(NativeRequest r)
    {
        long bytes = Channel.Bytes;
        Run(r);
        if (Channel.LastError != 0) throw new InvalidOperationException("setup request failed: " + Channel.LastError);
        return Channel.Bytes - bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Run(NativeRequest r) => Worker.Process(r.Pointer, r.Length);

    private void Once(byte[] request, string what)
    {
        using var r = new NativeRequest(request);
        Run(r);
        if (Channel.LastError != 0) throw new InvalidOperationException($"{what} failed: {Channel.LastError}");
    }

    private ulong FirstWord(byte[] request, string what)
    {
        Channel.CaptureFirstWord = true;
        Once(request, what);
        Channel.CaptureFirstWord = false;
        return Channel.FirstWord;
    }

    public void Dispose()
    {
        Session.Dispose();
        Getattr.Dispose();
        Lookup.Dispose();
        Read.Dispose();
        Readdir.Dispose();
    }
}

/// <summary>The tree on the node API: plain directories, files answering getattr, and "file" handing out a handle
/// per open that reads from pinned memory.</summary>
public static class NodeTree
{
    public static NodeFileSystem Make()
    {
        var root = new Node(Linux.S_IFDIR | 0x1ED);
        var dir = new Node(Linux.S_IFDIR | 0x1ED);
        root.AddChild("dir", dir);
        dir.AddChild("file", new DataNode(TreeData.Content));
        for (int i = 0; i < TreeData.Others; i++) dir.AddChild(TreeData.OtherName(i), new DataNode(TreeData.Small));
        return new NodeFileSystem(root, new NodeFileSystemOptions { Uid = 1000, Gid = 1000 });
    }

    private sealed class DataNode(byte[] content) : Node(Linux.S_IFREG | 0x1A4), INodeGetattr, INodeOpen
    {
        public int Getattr(in RequestContext ctx, ref FuseAttr attr)
        {
            attr.Size = (ulong)content.Length;
            attr.Mtime = attr.Ctime = attr.Atime = TreeData.Time;
            return Status.Ok;
        }

        public int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags)
        {
            handle = new Handle(content);
            return Status.Ok;
        }
    }

    private sealed class Handle(byte[] content) : IFileRead
    {
        public int Read(in RequestContext ctx, long offset, ref DataReply data)
        {
            if (offset < content.Length) data.AppendPinned(content.AsSpan((int)offset, (int)Math.Min(data.Remaining, content.Length - offset)));
            return Status.Ok;
        }
    }
}

/// <summary>The same tree on the raw API, as a raw filesystem that supports FORGET writes it: an inode table with
/// lookup counts, a name map per directory looked up by span, the listing in an array, data from pinned memory.</summary>
public sealed class RawTreeFs : IRawFileSystem
{
    private sealed class RawNode(uint mode, byte[] content)
    {
        public ulong Id;
        public readonly uint Mode = mode;
        public readonly byte[] Content = content;
        public readonly Dictionary<byte[], RawNode> Children = new(Names.Instance);
        public readonly List<(byte[] Name, RawNode Node)> Order = new();
        public Dictionary<byte[], RawNode>.AlternateLookup<ReadOnlySpan<byte>> ByName;
    }

    private readonly InodeTable<RawNode> _table;

    public RawTreeFs()
    {
        var root = new RawNode(Linux.S_IFDIR | 0x1ED, []) { Id = InodeTable<RawNode>.RootId };
        root.ByName = root.Children.GetAlternateLookup<ReadOnlySpan<byte>>();
        _table = new InodeTable<RawNode>(root);
        var dir = Add(root, "dir", new RawNode(Linux.S_IFDIR | 0x1ED, []));
        Add(dir, "file", new RawNode(Linux.S_IFREG | 0x1A4, TreeData.Content));
        for (int i = 0; i < TreeData.Others; i++) Add(dir, TreeData.OtherName(i), new RawNode(Linux.S_IFREG | 0x1A4, TreeData.Small));
    }

    private RawNode Add(RawNode parent, string name, RawNode child)
    {
        child.Id = _table.Add(child);
        var key = Encoding.UTF8.GetBytes(name);
        parent.Children.Add(key, child);
        parent.Order.Add((key, child));
        child.ByName = child.Children.GetAlternateLookup<ReadOnlySpan<byte>>();
        return child;
    }

    private static void Fill(RawNode n, ref FuseAttr a)
    {
        a.Ino = n.Id;
        a.Mode = n.Mode;
        a.Nlink = (n.Mode & Linux.S_IFMT) == Linux.S_IFDIR ? 2u : 1u;
        a.Uid = 1000;
        a.Gid = 1000;
        a.Blksize = 4096;
        a.Size = (ulong)n.Content.Length;
        a.Blocks = (a.Size + 511) >> 9;
        a.Mtime = a.Ctime = a.Atime = TreeData.Time;
    }

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        if (!_table.TryGet(parent, out var p)) return Errno.ENOENT;
        if (!p.ByName.TryGetValue(name, out var n)) return Errno.ENOENT;
        if (!_table.Acquire(n.Id)) return Errno.ENOENT;
        entry.Nodeid = n.Id;
        entry.EntryValid = entry.AttrValid = 1;
        Fill(n, ref entry.Attr);
        return Status.Ok;
    }

    public void Forget(ulong nodeId, ulong nlookup) => _table.Release(nodeId, (long)nlookup, out _);

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        attr.AttrValid = 1;
        Fill(n, ref attr.Attr);
        return Status.Ok;
    }

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        if (!_table.TryGet(nodeId, out _)) return Errno.ENOENT;
        open.Fh = nodeId;
        return Status.Ok;
    }

    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        var c = n.Content;
        if (offset < c.Length) data.AppendPinned(c.AsSpan((int)offset, (int)Math.Min(data.Remaining, c.Length - offset)));
        return Status.Ok;
    }

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => Status.Ok;

    public int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        if (!_table.TryGet(nodeId, out var d)) return Errno.ENOENT;
        if (offset < 1 && !entries.Add("."u8, d.Id, Linux.S_IFDIR, 1)) return Status.Ok;
        if (offset < 2 && !entries.Add(".."u8, d.Id, Linux.S_IFDIR, 2)) return Status.Ok;
        for (int i = (int)Math.Max(offset - 2, 0); i < d.Order.Count; i++)
        {
            var (name, n) = d.Order[i];
            if (!entries.Add(name, n.Id, n.Mode & Linux.S_IFMT, i + 3)) return Status.Ok;
        }
        return Status.Ok;
    }

    private sealed class Names : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Names Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => Hash(obj);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> s)
        {
            var h = new HashCode();
            h.AddBytes(s);
            return h.ToHashCode();
        }
    }
}

/// <summary>What both trees hold.</summary>
internal static class TreeData
{
    public const int Others = 100;
    public const ulong Time = 1_700_000_000;
    public static readonly byte[] Content = Pinned(4096, 42);
    public static readonly byte[] Small = Pinned(3, 43);

    public static string OtherName(int i) => $"entry-{i:D3}";

    private static byte[] Pinned(int size, int seed)
    {
        var b = GC.AllocateArray<byte>(size, pinned: true);
        new Random(seed).NextBytes(b);
        return b;
    }
}
