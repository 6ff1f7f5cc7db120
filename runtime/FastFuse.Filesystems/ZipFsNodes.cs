using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Session;
using Microsoft.Win32.SafeHandles;

namespace FastFuse.Filesystems;

/// <summary>What every node of one mounted archive shares: the descriptor (read by pread only), the block cache,
/// the owner, and the totals statfs reports.</summary>
internal sealed class ZipSource(SafeFileHandle file, long length, ZipBlockCache cache, uint uid, uint gid)
{
    public readonly SafeFileHandle File = file;
    /// <summary>The descriptor, for splicing stored entries. Valid until the <see cref="ZipFs"/> is disposed, which
    /// happens after the session has ended (no READ runs then).</summary>
    public readonly int Fd = (int)file.DangerousGetHandle();
    public readonly long Length = length;
    public readonly ZipBlockCache Cache = cache;
    public readonly uint Uid = uid, Gid = gid;
    public long TotalBytes;
    public long Nodes;

    public void Times(ref FuseAttr a, long mtime)
    {
        a.Atime = a.Mtime = a.Ctime = (ulong)mtime;
        a.Atimensec = a.Mtimensec = a.Ctimensec = 0;
        a.Uid = Uid;
        a.Gid = Gid;
    }
}

/// <summary>A directory of the archive: named by an entry ("a/b/") or implied by the paths under it.</summary>
internal sealed class ZipDirNode(ZipSource zip, ulong ino, long mtime) : Node(Linux.S_IFDIR | 0x16D, ino), INodeGetattr, INodeStatfs
{
    /// <summary>Permission bits: 0555, or the directory entry's own.</summary>
    public uint Perm = 0x16D;
    public long Mtime = mtime;
    /// <summary>Set once an entry named this directory (its attributes are then the entry's).</summary>
    public bool Explicit;
    public uint Subdirs;

    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        attr.Mode = Linux.S_IFDIR | Perm;
        attr.Nlink = 2 + Subdirs;
        attr.Size = 4096;
        zip.Times(ref attr, Mtime);
        return Status.Ok;
    }

    public int Statfs(in RequestContext ctx, ref FuseKstatfs statfs)
    {
        statfs.Blocks = (ulong)((zip.TotalBytes + 4095) / 4096);
        statfs.Files = (ulong)zip.Nodes;
        return Status.Ok;
    }
}

/// <summary>
/// A file entry. Stored entries are answered straight from the archive (spliced on /dev/fuse); deflated ones through
/// the block cache, with the blocks that are missing decompressed by the open file's own cursor
/// (<see cref="ZipFileHandle"/>): sequential reads continue where the last one stopped, a read behind the cursor of
/// a block that is no longer cached starts a new cursor from the entry's start.
/// </summary>
internal sealed class ZipFileNode(ZipSource zip, ZipEntryInfo entry, uint perm, long mtime)
    : Node(Linux.S_IFREG | perm, (ulong)entry.Index + 2), INodeGetattr, INodeOpen, INodeRead
{
    public readonly ZipEntryInfo Entry = entry;
    private int _warned;

    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        attr.Size = (ulong)Entry.Size;
        zip.Times(ref attr, mtime);
        return Status.Ok;
    }

    public int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags)
    {
        handle = null;
        int r = Readable();
        if (r != 0) return r;
        openFlags = FopenFlags.KeepCache;                  // the archive does not change: keep the page cache
        if (Entry.Method == ZipEntryInfo.Deflated && Entry.Size > 0) handle = new ZipFileHandle();
        return Status.Ok;
    }

    public int Read(in RequestContext ctx, IFileHandle? handle, long offset, ref DataReply data)
    {
        if (offset < 0) return Errno.EINVAL;
        long size = Entry.Size;
        if (offset >= size) return Status.Ok;
        int r = Readable();
        if (r != 0) return r;
        int n = (int)Math.Min(data.Remaining, size - offset);
        long start;
        try { start = ZipIndex.DataOffset(zip.File, zip.Length, Entry); }
        catch (InvalidDataException e) { return Damaged(e); }
        if (Entry.Method == ZipEntryInfo.Stored)
        {
            data.AppendFile(zip.Fd, start + offset, n);
            return Status.Ok;
        }
        var dst = data.Reserve(n);
        r = handle is ZipFileHandle h ? ReadInflated(h, start, offset, dst) : ReadOnce(start, offset, dst);
        if (r == 0) data.Commit(dst.Length);
        return r;
    }

    /// <summary>0 when the entry's data can be read: not encrypted, stored or deflated, sizes consistent.</summary>
    private int Readable()
    {
        if (Entry.IsEncrypted || (Entry.Method != ZipEntryInfo.Stored && Entry.Method != ZipEntryInfo.Deflated) ||
            (Entry.Method == ZipEntryInfo.Stored && Entry.CompressedSize != Entry.Size))
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
                Log.Warn($"zip: '{System.Text.Encoding.UTF8.GetString(Entry.Name)}' cannot be read (" +
                         (Entry.IsEncrypted ? "encrypted" : $"compression method {Entry.Method}") + ")");
            return Errno.EOPNOTSUPP;
        }
        return Status.Ok;
    }

    /// <summary>Fill <paramref name="dst"/> from <paramref name="offset"/>: cached blocks copied, missing ones
    /// decompressed by the handle's cursor.</summary>
    private int ReadInflated(ZipFileHandle h, long dataOffset, long offset, Span<byte> dst)
    {
        var cache = zip.Cache;
        long pos = offset;
        while (!dst.IsEmpty)
        {
            long block = pos >> ZipBlockCache.BlockShift;
            int within = (int)(pos & (ZipBlockCache.BlockSize - 1));
            int len = Math.Min(dst.Length, InflateCursor.BlockLength(Entry.Size, block) - within);
            long key = ZipBlockCache.Key(Entry.Index, block);
            if (!cache.TryCopy(key, within, dst[..len]))
            {
                int r = Inflate(h, dataOffset, block, within, dst[..len]);
                if (r != 0) return r;
            }
            dst = dst[len..];
            pos += len;
        }
        return Status.Ok;
    }

    private int Inflate(ZipFileHandle h, long dataOffset, long block, int within, Span<byte> dst)
    {
        var cache = zip.Cache;
        lock (h.Sync)
        {
            if (cache.TryCopy(ZipBlockCache.Key(Entry.Index, block), within, dst)) return Status.Ok;   // filled meanwhile
            try
            {
                if (h.Cursor is null || h.Cursor.NextBlock > block)
                {
                    h.Cursor?.Dispose();
                    h.Cursor = new InflateCursor(zip.File, dataOffset, Entry);
                }
                var scratch = h.Scratch ??= new byte[ZipBlockCache.BlockSize];
                while (true)
                {
                    long b = h.Cursor.NextBlock;
                    int length = h.Cursor.ReadBlock(scratch);
                    cache.Insert(ZipBlockCache.Key(Entry.Index, b), scratch.AsSpan(0, length));
                    if (b == block)
                    {
                        scratch.AsSpan(within, dst.Length).CopyTo(dst);
                        break;
                    }
                }
                if (h.Cursor.AtEnd)
                {
                    h.Cursor.Dispose();                        // the whole entry was read: free the decompressor now
                    h.Cursor = null;
                }
                return Status.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                h.Cursor?.Dispose();
                h.Cursor = null;
                return Damaged(e);
            }
        }
    }

    /// <summary>A read without an open handle (not through the kernel's OPEN): a cursor of its own.</summary>
    private int ReadOnce(long dataOffset, long offset, Span<byte> dst)
    {
        var h = new ZipFileHandle();
        try { return ReadInflated(h, dataOffset, offset, dst); }
        finally { h.Release(default); }
    }

    private int Damaged(Exception e)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
            Log.Warn($"zip: '{System.Text.Encoding.UTF8.GetString(Entry.Name)}' is damaged: {e.Message}; reads answer EIO");
        return Errno.EIO;
    }
}

/// <summary>One open of a deflated file: its decompression cursor, which only its reads move.</summary>
internal sealed class ZipFileHandle : IFileHandle
{
    public readonly Lock Sync = new();
    public InflateCursor? Cursor;
    public byte[]? Scratch;

    public void Release(in RequestContext ctx)
    {
        lock (Sync)
        {
            Cursor?.Dispose();
            Cursor = null;
            Scratch = null;
        }
    }
}

/// <summary>A symlink entry (an archive made on Unix marks it S_IFLNK): its data is the target.</summary>
internal sealed class ZipSymlinkNode(ZipSource zip, ZipEntryInfo entry, long mtime)
    : Node(Linux.S_IFLNK | 0x1FF, (ulong)entry.Index + 2), INodeGetattr, INodeReadlink
{
    private const int PathMax = 4096;
    private byte[]? _target;

    public int Getattr(in RequestContext ctx, ref FuseAttr attr)
    {
        attr.Size = (ulong)entry.Size;
        zip.Times(ref attr, mtime);
        return Status.Ok;
    }

    public int Readlink(in RequestContext ctx, ref DataReply target)
    {
        var t = Volatile.Read(ref _target) ?? Load();
        if (t is null) return Errno.EIO;
        target.Append(t.AsSpan(0, Math.Min(t.Length, target.Remaining)));
        return Status.Ok;
    }

    private byte[]? Load()
    {
        if (entry.Size is <= 0 or >= PathMax || entry.IsEncrypted) return null;
        try
        {
            long start = ZipIndex.DataOffset(zip.File, zip.Length, entry);
            var t = new byte[entry.Size];
            if (entry.Method == ZipEntryInfo.Stored)
            {
                if (RandomAccess.Read(zip.File, t, start) != t.Length) return null;
            }
            else if (entry.Method == ZipEntryInfo.Deflated)
            {
                using var c = new InflateCursor(zip.File, start, entry);
                c.ReadBlock(t);
            }
            else return null;
            Volatile.Write(ref _target, t);
            return t;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            Log.Warn($"zip: symlink '{System.Text.Encoding.UTF8.GetString(entry.Name)}' is damaged: {e.Message}");
            return null;
        }
    }
}
