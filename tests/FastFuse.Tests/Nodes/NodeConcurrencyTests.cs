using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Nodes;

namespace FastFuse.Tests.Nodes;

/// <summary>
/// The lock-free attach / forget / prune protocol under races, calling the filesystem from several threads at once
/// (as workers do): lookups of the same dynamic and persistent names racing forgets of them, and the tree changing
/// meanwhile. While a thread holds a lookup, the id it got must name exactly that node; once every lookup is given
/// back, no node is known, and the dynamic ones have left the tree.
/// </summary>
public sealed class NodeConcurrencyTests
{
    private static readonly RequestContext Ctx = RequestContext.ForCaller(0, 0);

    [Fact]
    public void LookupsRacingForgets_NeverHandOutAWrongId_AndEndWithNothingKnown()
    {
        var root = new Node(Linux.S_IFDIR | 0x1ED);
        var dyn = new DynamicDir();
        var kept = new ContentFile("k"u8.ToArray());
        root.AddChild("dyn", dyn);
        root.AddChild("kept", kept);
        var fs = new NodeFileSystem(root);
        IRawFileSystem raw = fs;
        FuseEntryOut e = default;
        Assert.Equal(0, raw.Lookup(in Ctx, 1, "dyn"u8, ref e));
        ulong dynId = e.Nodeid;

        const int Rounds = 100_000;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Worker(int seed)
        {
            var rng = new Random(seed);
            var held = new List<(ulong Id, Node Node)>();
            for (int i = 0; i < Rounds && failures.IsEmpty; i++)
            {
                FuseEntryOut entry = default;
                bool dynamic = rng.Next(4) != 0;
                int r = dynamic ? raw.Lookup(in Ctx, dynId, "d1"u8, ref entry) : raw.Lookup(in Ctx, 1, "kept"u8, ref entry);
                if (r != 0) { failures.Enqueue($"lookup: {Errno.Name(r)}"); return; }
                var node = fs.GetNode(entry.Nodeid);
                if (node is null || node.NodeId != entry.Nodeid || (!dynamic && !ReferenceEquals(node, kept)))
                {
                    failures.Enqueue($"id {entry.Nodeid:x} names {node?.ToString() ?? "nothing"} (its id {node?.NodeId:x})");
                    return;
                }
                held.Add((entry.Nodeid, node));
                // Give back a random number of what is held: the count reaches zero now and then, in the middle of
                // other threads' lookups of the same name.
                while (held.Count > 0 && rng.Next(3) != 0)
                {
                    int k = rng.Next(held.Count);
                    var (id, n) = held[k];
                    if (n.NodeId != id) { failures.Enqueue($"a held node changed id: {id:x} → {n.NodeId:x}"); return; }
                    held.RemoveAt(k);
                    raw.Forget(id, 1);
                }
            }
            foreach (var (id, _) in held) raw.Forget(id, 1);
        }
        var threads = Enumerable.Range(0, 3).Select(s => new Thread(() => Worker(s))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.Empty(failures);

        Assert.Equal(2, fs.KnownNodes);                       // the root and dyn; every lookup of d1 and kept was given back
        Assert.Equal(0ul, kept.NodeId);
        Assert.Same(kept, root.GetChild("kept"));             // persistent: still in the tree
        Assert.Equal(0, dyn.ChildCount);                      // dynamic: every d1 left the tree
        var made = dyn.Made.ToArray();
        Assert.All(made, n => Assert.Equal(0ul, n.NodeId));
        Assert.True(made.Length >= 2, $"only {made.Length} d1 nodes were made: the race never happened");
        Assert.Equal(made.Length, dyn.Lookups);
        Assert.True(kept.Forgets > 0 && made.Sum(n => n.Forgets) > 0, $"forgets: kept {kept.Forgets}, d1 {made.Sum(n => n.Forgets)} over {made.Length} nodes");
    }
}
