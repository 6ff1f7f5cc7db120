using System.Runtime.CompilerServices;
using FastFuse.Kernel;
using FastFuse.Nodes;   // NameComparer: names as dictionary keys, looked up by span

namespace FastFuse.Filesystems;

/// <summary>A wall-clock time in seconds and nanoseconds since the Unix epoch.</summary>
internal struct Timespec
{
    public long Sec;
    public uint Nsec;

    public Timespec(long sec, uint nsec)
    {
        Sec = sec;
        Nsec = nsec;
    }

    /// <summary>Now, in nanoseconds (clock_gettime(CLOCK_REALTIME)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Timespec Now()
    {
        var (sec, nsec) = Interop.Clock.RealtimeNow();
        return new Timespec(sec, nsec);
    }

    public readonly bool IsBeforeOrEqual(in Timespec other) => Sec < other.Sec || (Sec == other.Sec && Nsec <= other.Nsec);
}

/// <summary>
/// Every node: attributes, xattrs and the bookkeeping of the reference the filesystem itself holds in the inode
/// table. Attributes are guarded by <c>lock(node)</c>; for files the same lock guards the data.
/// </summary>
internal class MemNode
{
    public ulong Id;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public uint Nlink;
    public uint Rdev;
    public Timespec Atime;
    public Timespec Mtime;
    public Timespec Ctime;
    /// <summary>Birth time (statx btime): set once, when the node is created.</summary>
    public Timespec Btime;
    /// <summary>Open handles (open + opendir − release − releasedir).</summary>
    public int OpenCount;
    /// <summary>True while the node holds its own table reference: linked (nlink &gt; 0) or open.</summary>
    public bool HasSelfRef;
    /// <summary>Created by O_TMPFILE without O_EXCL: linkat may give it a name while its nlink is 0.</summary>
    public bool Linkable;
    /// <summary>FS_*_FL inode flags (chattr): see MemFs.Flags.cs.</summary>
    public uint Flags;
    public XattrSet? Xattrs;

    public MemNode(uint mode) => Mode = mode;

    public uint Type => Mode & Linux.S_IFMT;

    /// <summary>Call under <c>lock(this)</c>. True when the node just lost its last link and handle: the caller
    /// then drops the node's own table reference (outside the lock).</summary>
    public bool TakeSelfRefIfUnreferenced()
    {
        if (HasSelfRef && Nlink == 0 && OpenCount == 0)
        {
            HasSelfRef = false;
            return true;
        }
        return false;
    }

    public virtual ulong AttrSize => 0;
    public virtual ulong AttrBlocks => 0;

    /// <summary>Call under <c>lock(this)</c>.</summary>
    public void FillAttr(ref FuseAttr a)
    {
        a.Ino = Id;
        a.Size = AttrSize;
        a.Blocks = AttrBlocks;
        a.Atime = (ulong)Atime.Sec;
        a.Atimensec = Atime.Nsec;
        a.Mtime = (ulong)Mtime.Sec;
        a.Mtimensec = Mtime.Nsec;
        a.Ctime = (ulong)Ctime.Sec;
        a.Ctimensec = Ctime.Nsec;
        a.Mode = Mode;
        a.Nlink = Nlink;
        a.Uid = Uid;
        a.Gid = Gid;
        a.Rdev = Rdev;
        a.Blksize = 4096;
    }

    /// <summary>Call under <c>lock(this)</c>. The statx answer: every basic field and btime.</summary>
    public void FillStatx(ref FuseStatx x)
    {
        x.Mask = StatxBasicStats | StatxBtime;
        x.Ino = Id;
        x.Size = AttrSize;
        x.Blocks = AttrBlocks;
        x.Atime = Sx(in Atime);
        x.Mtime = Sx(in Mtime);
        x.Ctime = Sx(in Ctime);
        x.Btime = Sx(in Btime);
        x.Mode = (ushort)Mode;
        x.Nlink = Nlink;
        x.Uid = Uid;
        x.Gid = Gid;
        x.RdevMajor = (Rdev >> 8) & 0xfff;                       // new_decode_dev
        x.RdevMinor = (Rdev & 0xff) | ((Rdev >> 12) & 0xfff00);
        x.Blksize = 4096;
    }

    public const uint StatxBasicStats = 0x7ff, StatxBtime = 0x800;

    private static FuseSxTime Sx(in Timespec t) => new() { TvSec = t.Sec, TvNsec = t.Nsec };

    /// <summary>Called once the node has no link and no open handle: nothing can reach its contents any more.</summary>
    public virtual void FreeContents(ChunkStore store) => Xattrs = null;
}

internal sealed class SymlinkNode : MemNode
{
    public readonly byte[] Target;

    public SymlinkNode(byte[] target) : base(Linux.S_IFLNK | 0x1FF) => Target = target;

    public override ulong AttrSize => (ulong)Target.Length;
}

/// <summary>One name in a directory (<see cref="ListingEntry"/>: its cookie is the readdir offset after it).</summary>
internal sealed class DirEntry(byte[] name, MemNode node, long cookie) : ListingEntry(cookie)
{
    public readonly byte[] Name = name;
    public MemNode Node = node;
}

/// <summary>
/// A directory: a hash map name → entry for lookups (alternate lookup by span: no allocation), and the entries in
/// creation order with increasing cookies for readdir. Removed entries stay as tombstones (their cookie keeps
/// offsets valid) until they outnumber the live ones, then the list is compacted: removal is amortised O(1) and
/// resuming a listing is a binary search. Guarded by the filesystem's tree lock.
/// </summary>
internal sealed class DirNode : MemNode
{
    /// <summary>Offsets 1 and 2 are "." and ".."; entry cookies start at 3.</summary>
    public const long FirstCookie = ListingOrder<DirEntry>.FirstCookie;

    private readonly Dictionary<byte[], DirEntry> _byName;
    private readonly Dictionary<byte[], DirEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly ListingOrder<DirEntry> _order = new();

    /// <summary>The directory holding this one; the root's parent is itself.</summary>
    public DirNode? Parent;

    public DirNode(uint mode) : base(mode)
    {
        _byName = new Dictionary<byte[], DirEntry>(NameComparer.Instance);
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _byName.Count;
    public int OrderCount => _order.Count;
    public DirEntry EntryAt(int index) => _order[index];

    public override ulong AttrSize => 4096;
    public override ulong AttrBlocks => 8;

    public DirEntry? Find(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var e) ? e : null;

    public DirEntry Add(ReadOnlySpan<byte> name, MemNode node)
    {
        var key = name.ToArray();
        var e = new DirEntry(key, node, _order.NextCookie());
        _byName.Add(key, e);
        _order.Add(e);
        return e;
    }

    public void Remove(DirEntry e)
    {
        _byName.Remove(e.Name);
        e.Node = null!; // let the node go; a tombstone only keeps its cookie
        _order.Remove(e, _byName.Count);
    }

    /// <summary>Index of the first entry whose cookie is greater than <paramref name="cookie"/>.</summary>
    public int FirstAfter(long cookie) => _order.FirstAfter(cookie);

    /// <summary>True if <paramref name="ancestor"/> is this directory or one of its ancestors.</summary>
    public bool IsWithin(DirNode ancestor)
    {
        for (DirNode? d = this; d is not null; d = d.Parent)
        {
            if (ReferenceEquals(d, ancestor)) return true;
            if (ReferenceEquals(d.Parent, d)) break;
        }
        return false;
    }
}

/// <summary>Extended attributes of one node, in insertion order. Guarded by <c>lock(node)</c>.</summary>
internal sealed class XattrSet
{
    private readonly Dictionary<byte[], byte[]> _map = new(NameComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public XattrSet() => _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();

    public int Count => _map.Count;

    public byte[]? Get(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var v) ? v : null;

    public bool Contains(ReadOnlySpan<byte> name) => _lookup.ContainsKey(name);

    public void Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => _lookup[name] = value.ToArray();

    public bool Remove(ReadOnlySpan<byte> name) => _lookup.Remove(name);

    /// <summary>Bytes of the NUL-separated name list.</summary>
    public int ListLength()
    {
        int n = 0;
        foreach (var k in _map.Keys) n += k.Length + 1;
        return n;
    }

    public void WriteList(Span<byte> dst)
    {
        int p = 0;
        foreach (var k in _map.Keys)
        {
            k.CopyTo(dst[p..]);
            p += k.Length;
            dst[p++] = 0;
        }
    }
}
