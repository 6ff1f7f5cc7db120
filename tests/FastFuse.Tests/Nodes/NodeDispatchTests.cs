using System.Buffers.Binary;
using System.Text;
using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Tests.Unit;

namespace FastFuse.Tests.Nodes;

/// <summary>
/// The node API's bookkeeping, request by request in the kernel's layout (in process, no mount), where each count
/// can be checked exactly: lookup counts and FORGET/BATCH_FORGET, generations of reused ids, READDIRPLUS lookups,
/// readdir offsets while children come and go, handles by fh.
/// </summary>
public sealed class NodeDispatchTests
{
    private sealed class Fixture : IDisposable
    {
        public readonly Node Root = new(Linux.S_IFDIR | 0x1ED);
        public readonly DynamicDir Dyn = new();
        public readonly ContentFile Kept = new("kept"u8.ToArray());
        public readonly NodeFileSystem Fs;
        public readonly Harness H;
        private ulong _unique = 100;

        public Fixture()
        {
            Root.AddChild("dyn", Dyn);
            Root.AddChild("kept", Kept);
            Fs = new NodeFileSystem(Root);
            H = new Harness(Fs);
            H.Init();
        }

        public ulong U => _unique++;
        public Reply Lookup(ulong parent, string name) => H.Call(Req.Lookup(U, parent, name));
        public ulong Id(ulong parent, string name)
        {
            var r = Lookup(parent, name);
            Assert.Equal(0, r.Error);
            return r.U64(0);
        }
        public void Forget(ulong node, ulong n) => Assert.Null(H.Send(Req.Forget(U, node, n)));
        public void Dispose() => H.Dispose();
    }

    [Fact]
    public void LookupCounts_AreTakenBackByForget_AndBatchForget()
    {
        using var f = new Fixture();
        ulong dyn = f.Id(1, "dyn");
        ulong d1 = f.Id(dyn, "d1");
        Assert.Equal(d1, f.Id(dyn, "d1"));
        Assert.Equal(d1, f.Id(dyn, "d1"));                      // three lookups, one node id
        var node = f.Dyn.Made.Single();
        Assert.Equal(1, f.Dyn.Lookups);
        f.Forget(d1, 2);
        Assert.Equal(d1, node.NodeId);                          // one left
        Assert.Equal(0, node.Forgets);
        Assert.Null(f.H.Send(Req.BatchForget(f.U, 2, (d1, 1), (0x7777_0000_0003, 5))));   // and a stale id
        Assert.Equal(1, node.Forgets);
        Assert.Equal(0ul, node.NodeId);
        Assert.Equal(0, f.Dyn.ChildCount);                      // dynamic: left the tree
        Assert.Equal(-Errno.ENOENT, f.H.Call(Req.Getattr(f.U, d1)).Error);   // the kernel's old id names nothing now
        f.Forget(d1, 1);                                        // a late forget of the old id changes nothing
        ulong again = f.Id(dyn, "d1");
        Assert.Equal(2, f.Dyn.Lookups);
        Assert.NotEqual(d1, again);                             // the slot may be reused, under a new generation
        Assert.Equal(d1 & 0xFFFF_FFFF, again & 0xFFFF_FFFF);
        Assert.Equal(0, f.H.Call(Req.Getattr(f.U, again)).Error);
    }

    [Fact]
    public void Persistent_StaysAfterForget_AndADynamicParentFollowsItsLastChild()
    {
        using var f = new Fixture();
        ulong kept = f.Id(1, "kept");
        f.Forget(kept, 1);
        Assert.Equal(1, f.Kept.Forgets);
        Assert.Same(f.Kept, f.Root.GetChild("kept"));
        ulong ino = f.Kept.Ino;
        ulong keptAgain = f.Id(1, "kept");
        Assert.NotEqual(kept, keptAgain);
        Assert.Equal(ino, f.Lookup(1, "kept").U64(40));        // entry_out.attr.ino: the same inode number
        Assert.Equal(ino, f.Kept.Ino);

        // A dynamic directory holding a dynamic child: the directory is forgotten first and stays (it has a child),
        // then its child's forget takes both out.
        var sub = new DynamicDir();
        var made = new SubDirLookup(sub);
        f.Root.AddChild("made", made);
        ulong madeId = f.Id(1, "made");
        ulong subId = f.Id(madeId, "sub");
        ulong leaf = f.Id(subId, "dleaf");
        f.Forget(subId, 1);
        Assert.Same(sub, made.GetChild("sub"));
        Assert.Equal(0ul, sub.NodeId);
        f.Forget(leaf, 1);
        Assert.Null(made.GetChild("sub"));
        Assert.Equal(0, sub.ChildCount);
    }

    /// <summary>A directory whose one child, "sub", is made on lookup (dynamic).</summary>
    private sealed class SubDirLookup(Node sub) : Node(Linux.S_IFDIR | 0x1ED), INodeLookup
    {
        public int Lookup(in Api.RequestContext ctx, ReadOnlySpan<byte> name, out Node? child)
        {
            child = name.SequenceEqual("sub"u8) ? sub : null;
            return child is null ? Errno.ENOENT : 0;
        }
    }

    [Fact]
    public void Readdirplus_CountsALookupPerChild_AndOffsetsSurviveChanges()
    {
        using var f = new Fixture();
        var dir = new Node(Linux.S_IFDIR | 0x1ED);
        for (int i = 0; i < 10; i++) dir.AddChild($"n{i}", new ContentFile([]));
        f.Root.AddChild("dir", dir);
        ulong dirId = f.Id(1, "dir");

        var plus = Parse(f.H.Call(Req.Read(f.U, dirId, 0, 0, 8192, Opcode.Readdirplus)), plus: true);
        Assert.Equal(new[] { ".", ".." }.Concat(Enumerable.Range(0, 10).Select(i => $"n{i}")), plus.Select(e => e.Name));
        var n3 = dir.GetChild("n3")!;
        Assert.Equal(plus.Single(e => e.Name == "n3").Node, n3.NodeId);
        f.Forget(n3.NodeId, 1);                                 // exactly one lookup per entry
        Assert.Equal(1, ((ContentFile)n3).Forgets);

        // Resume after n4 while n2 and n6 go and n10 comes: n5, n7, n8, n9, n10 follow, each once.
        long afterN4 = plus.Single(e => e.Name == "n4").Off;
        dir.RemoveChild("n2");
        dir.RemoveChild("n6");
        dir.AddChild("n10", new ContentFile([]));
        var rest = Parse(f.H.Call(Req.Read(f.U, dirId, 0, (ulong)afterN4, 8192, Opcode.Readdir)), plus: false);
        Assert.Equal(new[] { "n5", "n7", "n8", "n9", "n10" }, rest.Select(e => e.Name));

        // A reply with room for two entries: the kernel continues from the last offset.
        var two = Parse(f.H.Call(Req.Read(f.U, dirId, 0, 0, 64, Opcode.Readdir)), plus: false);
        Assert.Equal(new[] { ".", ".." }, two.Select(e => e.Name));
    }

    [Theory]
    [InlineData(Opcode.Readdir)]
    [InlineData(Opcode.Readdirplus)]
    public void ALargeDirectory_ListsEveryChildOnce_OverManyReplies(Opcode op)
    {
        using var f = new Fixture();
        var dir = new Node(Linux.S_IFDIR | 0x1ED);
        for (int i = 0; i < 1000; i++) dir.AddChild($"child-{i:D4}", new ContentFile([]));
        f.Root.AddChild("big", dir);
        ulong dirId = f.Id(1, "big");
        var names = new List<string>();
        long offset = 0;
        int replies = 0;
        while (true)
        {
            var batch = Parse(f.H.Call(Req.Read(f.U, dirId, 0, (ulong)offset, 4096, op)), plus: op == Opcode.Readdirplus);
            if (batch.Count == 0) break;
            names.AddRange(batch.Select(e => e.Name));
            offset = batch[^1].Off;
            replies++;
        }
        Assert.Equal(new[] { ".", ".." }.Concat(Enumerable.Range(0, 1000).Select(i => $"child-{i:D4}")), names);
        Assert.True(replies > 5, $"{replies} replies");
        Assert.Equal(op == Opcode.Readdirplus ? 1002 : 2, f.Fs.KnownNodes);   // root and big; READDIRPLUS: each child too
    }

    [Fact]
    public void Handles_LiveInTheTableUntilRelease_AndAStaleFhReachesNothing()
    {
        using var f = new Fixture();
        ulong kept = f.Id(1, "kept");
        ulong fh1 = f.H.Call(Req.Open(f.U, kept)).U64(0), fh2 = f.H.Call(Req.Open(f.U, kept)).U64(0);
        Assert.NotEqual(fh1, fh2);
        Assert.Equal(2, f.Fs.OpenHandles);
        Assert.Same(f.Kept.Handles.First(), f.Fs.GetHandle(fh1));
        var read = f.H.Call(Req.Read(f.U, kept, fh2, 1, 100));
        Assert.Equal("ept"u8.ToArray(), read.Payload.ToArray());
        var release = new Req(Opcode.Release, f.U, kept).U64(fh1).U32(0).U32(0).U64(0);
        Assert.Equal(0, f.H.Call(release).Error);
        Assert.Equal(0, f.H.Call(new Req(Opcode.Release, f.U, kept).U64(fh1).U32(0).U32(0).U64(0)).Error);  // twice: once released
        Assert.Equal(1, f.Kept.Handles.First().Releases);
        Assert.Null(f.Fs.GetHandle(fh1));
        Assert.Equal(1, f.Fs.OpenHandles);
    }

    private readonly record struct Entry(string Name, ulong Node, long Off);

    /// <summary>fuse_dirent records (or fuse_direntplus: entry_out first).</summary>
    private static List<Entry> Parse(Reply r, bool plus)
    {
        Assert.Equal(0, r.Error);
        var list = new List<Entry>();
        var p = r.Payload;
        while (p.Length > 0)
        {
            ulong node = plus ? BinaryPrimitives.ReadUInt64LittleEndian(p) : 0;
            var d = plus ? p[128..] : p;
            long off = (long)BinaryPrimitives.ReadUInt64LittleEndian(d[8..]);
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(d[16..]);
            list.Add(new Entry(Encoding.UTF8.GetString(d.Slice(24, len)), node, off));
            int size = ((plus ? 128 : 0) + 24 + len + 7) & ~7;
            p = p[size..];
        }
        return list;
    }
}
