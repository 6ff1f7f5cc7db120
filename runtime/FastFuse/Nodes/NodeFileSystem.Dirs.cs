using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Directories as open files: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR. The default listing is ".", ".."
// and the tree's children in the order they were added, each with the offset that continues after it (offsets
// stay valid while children come and go); READDIRPLUS answers each child's attributes and counts its lookup.
public partial class NodeFileSystem
{
    /// <summary>Children copied out of a directory's table per round of READDIRPLUS, so that no node code runs under its lock.</summary>
    private const int ListBatch = 64;

    /// <summary>The listing's copy buffer, one per worker thread (no allocation per READDIRPLUS).</summary>
    [ThreadStatic] private static ChildSnapshot[]? t_listBatch;

    int IRawFileSystem.Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) =>
        Directory(nodeId, out _);

    int IRawFileSystem.Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        int r = Directory(nodeId, out var dir);
        if (r != 0) return r;
        return dir is INodeReaddir lister ? lister.Readdir(in ctx, offset, ref entries) : ListChildren(in ctx, dir, offset, ref entries);
    }

    int IRawFileSystem.Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags) => Status.Ok;

    int IRawFileSystem.Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Status.Ok;

    private int ListChildren(in RequestContext ctx, Node dir, long offset, ref DirectoryReply entries)
    {
        if (offset < 1 && !entries.Add("."u8, dir.Ino, Linux.S_IFDIR, 1)) return Status.Ok;
        if (offset < 2 && !entries.Add(".."u8, (dir.Parent ?? dir).Ino, Linux.S_IFDIR, 2)) return Status.Ok;
        var table = Volatile.Read(ref dir.Table);
        if (table is null) return Status.Ok;
        long after = Math.Max(offset, 2);
        if (!entries.IsPlus)
        {
            table.AddNames(after, ref entries);
            return Status.Ok;
        }
        // READDIRPLUS runs each child's INodeGetattr: never under the directory's lock.
        var batch = t_listBatch ??= new ChildSnapshot[ListBatch];
        int n, used = 0;
        try
        {
            do
            {
                n = table.CopyAfter(after, batch);
                used = Math.Max(used, n);
                for (int i = 0; i < n; i++)
                {
                    ref var c = ref batch[i];
                    if (!AddChildEntry(in ctx, ref entries, c.Node, c.Name, c.Cookie)) return Status.Ok;
                    after = c.Cookie;
                }
            } while (n == batch.Length);
            return Status.Ok;
        }
        finally
        {
            batch.AsSpan(0, used).Clear();    // the buffer outlives the request: it must not keep nodes alive
        }
    }

    /// <summary>One child in a READDIRPLUS listing; false when it does not fit (the kernel asks again from there).</summary>
    private bool AddChildEntry(in RequestContext ctx, ref DirectoryReply entries, Node child, byte[] name, long cookie)
    {
        ulong id = Attach(child);
        if (id == 0) return entries.Add(name, child.Ino, child.Type, cookie);   // just pruned: the kernel looks it up
        FuseEntryOut e = default;
        FillEntryTimes(id, ref e);
        if (FillAttr(in ctx, child, ref e.Attr) != 0)
        {
            Drop(id, 1);
            return entries.Add(name, child.Ino, child.Type, cookie);
        }
        if (entries.AddPlus(name, in e, cookie)) return true;
        Drop(id, 1);                      // did not fit: the kernel never saw this lookup
        return false;
    }
}
