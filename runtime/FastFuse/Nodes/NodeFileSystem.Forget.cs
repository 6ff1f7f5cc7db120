using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Nodes;

// FORGET and BATCH_FORGET: the kernel gives lookups back; a node whose count reaches zero loses its node id, hears
// OnForget, and, when dynamic and childless, leaves the tree (and so may its dynamic parent, up the chain).
public partial class NodeFileSystem
{
    void IRawFileSystem.Forget(ulong nodeId, ulong nlookup)
    {
        if (nlookup != 0) Drop(nodeId, (long)Math.Min(nlookup, long.MaxValue));
    }

    void IRawFileSystem.BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        foreach (ref readonly var f in forgets)
            if (f.Nlookup != 0) Drop(f.Nodeid, (long)Math.Min(f.Nlookup, long.MaxValue));
    }

    /// <summary>Take <paramref name="count"/> lookups of <paramref name="id"/> back (a FORGET, or a reply that did not
    /// reach the kernel after all). Stale ids and the root are ignored by the table.</summary>
    internal void Drop(ulong id, long count)
    {
        if (!_nodes.Release(id, count, out var node)) return;
        // The id is freed; unless an attach has published a new one meanwhile, the node is forgotten.
        if (Interlocked.CompareExchange(ref node.KernelId, 0, id) != id) return;
        try
        {
            node.Forgotten();
        }
        catch (Exception e)
        {
            Log.Error($"node API: OnForget of '{node}' threw {e.GetType().Name}: {e.Message}");
        }
        Prune(node);
    }

    /// <summary>A forgotten dynamic node without children leaves its directory; then its directory may follow.</summary>
    private static void Prune(Node node)
    {
        while (!node.Persistent)
        {
            var parent = node.Parent;
            if (parent is null) return;                       // not in a tree (removed, or never added)
            var table = Volatile.Read(ref parent.Table)!;
            lock (table.Sync)
            {
                if (!ReferenceEquals(node.ParentNode, parent)) continue;   // renamed meanwhile: its new directory
                if (node.ChildCount != 0 || node.Persistent) return;        // kept by its children
                if (Interlocked.CompareExchange(ref node.KernelId, Node.Gone, 0) != 0) return;   // held again
                table.RemoveLocked(node);
            }
            if (parent.IsRoot || Volatile.Read(ref parent.KernelId) != 0) return;
            node = parent;
        }
    }
}
