using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

/// <summary>
/// The filesystem-wide store of file data chunks: the capacity account (ENOSPC) and a small pool of full-size
/// chunks so that deleting and rewriting files does not churn the pinned object heap. Chunks are pinned arrays,
/// so READ answers point the kernel straight at them.
/// </summary>
internal sealed class ChunkStore
{
    public const int ChunkShift = 16;
    public const int ChunkSize = 1 << ChunkShift;     // 64 KiB
    public const int ChunkMask = ChunkSize - 1;
    /// <summary>Chunks grow in steps of this (and by doubling) so a small file costs a few KiB, not 64.</summary>
    public const int Granule = 4096;
    private const int PoolMax = 512;                   // 32 MiB of free chunks kept for reuse

    private readonly Stack<byte[]> _pool = new();
    private readonly Lock _poolLock = new();
    private long _used;

    public ChunkStore(long capacity) => Capacity = capacity;

    public long Capacity { get; }
    public long Used => Volatile.Read(ref _used);

    public bool Reserve(long bytes)
    {
        if (bytes <= 0) return true;
        if (Interlocked.Add(ref _used, bytes) > Capacity)
        {
            Interlocked.Add(ref _used, -bytes);
            return false;
        }
        return true;
    }

    public void Unreserve(long bytes)
    {
        if (bytes != 0) Interlocked.Add(ref _used, -bytes);
    }

    /// <summary>An array of <paramref name="length"/> bytes with undefined contents (the caller fills or zeroes it).</summary>
    public byte[] Rent(int length)
    {
        if (length == ChunkSize)
        {
            lock (_poolLock)
            {
                if (_pool.TryPop(out var c)) return c;
            }
        }
        return GC.AllocateUninitializedArray<byte>(length, pinned: true);
    }

    /// <summary>Give back an array that no file refers to any more (its bytes were already unreserved).</summary>
    public void Return(byte[] chunk)
    {
        if (chunk.Length != ChunkSize) return;
        lock (_poolLock)
        {
            if (_pool.Count < PoolMax) _pool.Push(chunk);
        }
    }
}

/// <summary>
/// A regular file: size and sparse data. Data is cut into 64 KiB chunks, allocated lazily; a chunk array may be
/// shorter than 64 KiB (it grows by doubling), bytes past its end read as zeros, and so does a missing chunk.
/// Invariant: every stored byte at or past <see cref="Size"/> is zero, so growing the size never needs zeroing.
/// Chunks sit in pages of 256 references (16 MiB of data) kept in a dictionary by page index: memory is
/// proportional to the data written, never to the logical size. Everything here runs under <c>lock(this)</c>.
/// </summary>
internal sealed class FileNode : MemNode
{
    private const int PageShift = 8;
    private const int PageSlots = 1 << PageShift;
    private const int PageMask = PageSlots - 1;
    private const int CS = ChunkStore.ChunkSize;

    private sealed class Page
    {
        public readonly byte[]?[] Slots = new byte[]?[PageSlots];
        public int Count;
    }

    private Dictionary<long, Page>? _pages;
    private long _lastPageIndex = -1;
    private Page? _lastPage;

    public long Size;
    /// <summary>Bytes of chunk arrays held (what st_blocks reports, in 512-byte units).</summary>
    public long AllocatedBytes;

    [ThreadStatic] private static byte[]? t_scratch;

    public FileNode(uint mode) : base(mode) { }

    public override ulong AttrSize => (ulong)Size;
    public override ulong AttrBlocks => (ulong)(AllocatedBytes >> 9);

    // ---- chunk map ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Page? GetPage(long pageIndex)
    {
        if (pageIndex == _lastPageIndex) return _lastPage;
        if (_pages is null || !_pages.TryGetValue(pageIndex, out var p)) return null;
        _lastPageIndex = pageIndex;
        _lastPage = p;
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[]? GetChunk(long index) => GetPage(index >> PageShift)?.Slots[index & PageMask];

    private void SetChunk(long index, byte[] chunk)
    {
        long pi = index >> PageShift;
        var page = GetPage(pi);
        if (page is null)
        {
            page = new Page();
            (_pages ??= new Dictionary<long, Page>()).Add(pi, page);
            _lastPageIndex = pi;
            _lastPage = page;
        }
        ref var slot = ref page.Slots[index & PageMask];
        if (slot is null) page.Count++;
        slot = chunk;
    }

    private void FreeSlot(long pageIndex, Page page, int slotIndex, ChunkStore store)
    {
        var c = page.Slots[slotIndex];
        if (c is null) return;
        page.Slots[slotIndex] = null;
        AllocatedBytes -= c.Length;
        store.Unreserve(c.Length);
        store.Return(c);
        if (--page.Count == 0)
        {
            _pages!.Remove(pageIndex);
            if (_lastPageIndex == pageIndex) { _lastPageIndex = -1; _lastPage = null; }
        }
    }

    /// <summary>
    /// The chunk at <paramref name="index"/> with at least <paramref name="need"/> bytes, allocated or grown as
    /// needed; null when the capacity is exhausted. New bytes are zeroed except [skipFrom, skipTo), which the
    /// caller overwrites at once.
    /// </summary>
    private byte[]? EnsureChunk(long index, int need, int skipFrom, int skipTo, ChunkStore store)
    {
        var c = GetChunk(index);
        int cur = c?.Length ?? 0;
        if (cur >= need) return c;
        int newLen = Math.Min(CS, Math.Max((need + ChunkStore.Granule - 1) & ~(ChunkStore.Granule - 1), cur * 2));
        if (!store.Reserve(newLen - cur)) return null;
        var n = store.Rent(newLen);
        if (c is not null) c.AsSpan().CopyTo(n);
        int a = Math.Clamp(skipFrom, cur, newLen);
        int b = Math.Clamp(skipTo, a, newLen);
        n.AsSpan(cur, a - cur).Clear();
        n.AsSpan(b).Clear();
        AllocatedBytes += newLen - cur;
        SetChunk(index, n);
        if (c is not null) store.Return(c);
        return n;
    }

    public override void FreeContents(ChunkStore store)
    {
        base.FreeContents(store);
        DropChunksFrom(0, store);
    }

    /// <summary>Free every chunk with index ≥ <paramref name="first"/>.</summary>
    private void DropChunksFrom(long first, ChunkStore store)
    {
        if (_pages is null) return;
        foreach (var (pi, page) in _pages)  // Remove during enumeration is allowed for Dictionary
        {
            long pageFirst = pi << PageShift;
            if (pageFirst + PageSlots <= first) continue;
            int from = (int)Math.Max(0, first - pageFirst);
            for (int s = from; s < PageSlots && page.Count > 0; s++) FreeSlot(pi, page, s, store);
        }
    }

    // ---- data operations ----

    /// <summary>Answer a READ: pinned chunk memory, zeros for holes. Stops at end of file.</summary>
    public void Read(long offset, int size, ref DataReply reply)
    {
        if (offset >= Size || size <= 0) return;
        long end = Math.Min(Size, offset + size);
        long pos = offset;
        while (pos < end)
        {
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = (int)Math.Min(CS - off, end - pos);
            var c = GetChunk(pos >> ChunkStore.ChunkShift);
            int avail = c is null ? 0 : c.Length - off;
            if (avail >= len)
            {
                reply.AppendPinned(c.AsSpan(off, len));
            }
            else
            {
                if (avail > 0) reply.AppendPinned(c.AsSpan(off, avail));
                reply.AppendZeros(len - Math.Max(avail, 0));
            }
            pos += len;
        }
    }

    /// <summary>Write at <paramref name="offset"/>; returns the bytes written (fewer when the capacity runs out).</summary>
    public int Write(long offset, ReadOnlySpan<byte> data, ChunkStore store)
    {
        int done = 0;
        while (done < data.Length)
        {
            long pos = offset + done;
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = Math.Min(CS - off, data.Length - done);
            var c = EnsureChunk(pos >> ChunkStore.ChunkShift, off + len, off, off + len, store);
            if (c is null) break;
            data.Slice(done, len).CopyTo(c.AsSpan(off));
            done += len;
        }
        if (offset + done > Size) Size = offset + done;
        return done;
    }

    /// <summary>Set the size; shrinking frees the chunks past the end and zeroes the tail of the last one.</summary>
    public void Truncate(long newSize, ChunkStore store)
    {
        if (newSize < Size)
        {
            long idx = newSize >> ChunkStore.ChunkShift;
            int off = (int)(newSize & ChunkStore.ChunkMask);
            long firstDrop = idx;
            if (off > 0)
            {
                var c = GetChunk(idx);
                if (c is not null && c.Length > off) c.AsSpan(off).Clear();
                firstDrop = idx + 1;
            }
            DropChunksFrom(firstDrop, store);
        }
        Size = newSize;
    }

    /// <summary>Zero [offset, offset+length): whole chunks are freed when <paramref name="free"/>, else cleared;
    /// partial chunks are cleared. Nothing is allocated.</summary>
    public void ZeroRange(long offset, long length, bool free, ChunkStore store)
    {
        if (_pages is null || length <= 0) return;
        long end = offset + length;
        long firstIdx = offset >> ChunkStore.ChunkShift;
        long lastIdx = (end - 1) >> ChunkStore.ChunkShift;
        foreach (var (pi, page) in _pages)
        {
            long pageFirst = pi << PageShift;
            if (pageFirst + PageSlots <= firstIdx || pageFirst > lastIdx) continue;
            int from = (int)Math.Max(0, firstIdx - pageFirst);
            int to = (int)Math.Min(PageSlots - 1, lastIdx - pageFirst);
            for (int s = from; s <= to; s++)
            {
                var c = page.Slots[s];
                if (c is null) continue;
                long chunkStart = (pageFirst + s) << ChunkStore.ChunkShift;
                long a = Math.Max(offset, chunkStart) - chunkStart;
                long b = Math.Min(end, chunkStart + CS) - chunkStart;
                if (a == 0 && b == CS && free)
                {
                    FreeSlot(pi, page, s, store);
                    if (page.Count == 0) break;
                }
                else if (a < c.Length)
                {
                    c.AsSpan((int)a, (int)(Math.Min(b, c.Length) - a)).Clear();
                }
            }
        }
    }

    /// <summary>Bytes that allocating [offset, offset+length) would add.</summary>
    private long AllocationCost(long offset, long length)
    {
        long end = offset + length;
        long cost = 0;
        for (long pos = offset; pos < end;)
        {
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = (int)Math.Min(CS - off, end - pos);
            var c = GetChunk(pos >> ChunkStore.ChunkShift);
            int cur = c?.Length ?? 0;
            int need = off + len;
            if (cur < need)
            {
                int newLen = Math.Min(CS, Math.Max((need + ChunkStore.Granule - 1) & ~(ChunkStore.Granule - 1), cur * 2));
                cost += newLen - cur;
            }
            pos += len;
        }
        return cost;
    }

    /// <summary>Allocate (zeroed where new) every chunk byte of [offset, offset+length): all or nothing.</summary>
    public bool Allocate(long offset, long length, ChunkStore store)
    {
        if (length <= 0) return true;
        if (length > store.Capacity - store.Used + AllocatedBytes + CS) return false; // cannot fit: skip the walk
        long cost = AllocationCost(offset, length);
        if (!store.Reserve(cost)) return false;
        store.Unreserve(cost); // EnsureChunk reserves piece by piece; this only checked that it fits
        long end = offset + length;
        for (long pos = offset; pos < end;)
        {
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = (int)Math.Min(CS - off, end - pos);
            if (EnsureChunk(pos >> ChunkStore.ChunkShift, off + len, 0, 0, store) is null) return false;
            pos += len;
        }
        return true;
    }

    /// <summary>SEEK_DATA: the first offset ≥ <paramref name="offset"/> inside an allocated chunk, or -1.</summary>
    public long SeekData(long offset)
    {
        if (_pages is null) return -1;
        long idx = offset >> ChunkStore.ChunkShift;
        long best = long.MaxValue;
        foreach (var (pi, page) in _pages)
        {
            long pageFirst = pi << PageShift;
            if (pageFirst + PageSlots <= idx || pageFirst >= best) continue;
            for (int s = (int)Math.Max(0, idx - pageFirst); s < PageSlots; s++)
            {
                if (page.Slots[s] is not null)
                {
                    best = Math.Min(best, pageFirst + s);
                    break;
                }
            }
        }
        if (best == long.MaxValue) return -1;
        long pos = Math.Max(offset, best << ChunkStore.ChunkShift);
        return pos < Size ? pos : -1;
    }

    /// <summary>SEEK_HOLE: the first offset ≥ <paramref name="offset"/> in a hole, or the size.</summary>
    public long SeekHole(long offset)
    {
        long idx = offset >> ChunkStore.ChunkShift;
        while ((idx << ChunkStore.ChunkShift) < Size)
        {
            var page = GetPage(idx >> PageShift);
            if (page is null) break;
            int s = (int)(idx & PageMask);
            while (s < PageSlots && page.Slots[s] is not null) s++;
            idx = ((idx >> PageShift) << PageShift) + s;
            if (s < PageSlots) break;
        }
        long pos = Math.Max(offset, idx << ChunkStore.ChunkShift);
        return Math.Min(pos, Size);
    }

    /// <summary>Copy [offIn, offIn+count) of <paramref name="src"/> to <paramref name="dst"/> at
    /// <paramref name="offOut"/>, through a scratch buffer, piece by piece (backwards when the ranges overlap in the
    /// same file with the target after the source). Holes stay holes. Both files are locked by the caller.
    /// Returns bytes copied; fewer when the capacity runs out.</summary>
    public static long CopyRange(FileNode src, long offIn, FileNode dst, long offOut, long count, ChunkStore store)
    {
        var scratch = t_scratch ??= new byte[CS];
        bool backwards = ReferenceEquals(src, dst) && offOut > offIn && offOut < offIn + count;
        long copied = 0;
        if (!backwards)
        {
            while (copied < count)
            {
                long p = offIn + copied;
                int len = (int)Math.Min(CS - (p & ChunkStore.ChunkMask), count - copied);
                int w = CopyPiece(src, p, dst, offOut + copied, len, scratch, store);
                copied += w;
                if (w < len) break;
            }
            return copied;
        }
        long remaining = count;
        while (remaining > 0)
        {
            long endIn = offIn + remaining;
            long start = Math.Max(offIn, (endIn - 1) & ~(long)ChunkStore.ChunkMask);
            int len = (int)(endIn - start);
            int w = CopyPiece(src, start, dst, offOut + (start - offIn), len, scratch, store);
            if (w < len) return -1; // out of space part-way through a backwards copy: no prefix was copied
            remaining -= len;
        }
        return count;
    }

    private static int CopyPiece(FileNode src, long pos, FileNode dst, long to, int len, byte[] scratch, ChunkStore store)
    {
        var c = src.GetChunk(pos >> ChunkStore.ChunkShift);
        int off = (int)(pos & ChunkStore.ChunkMask);
        int avail = c is null ? 0 : Math.Clamp(c.Length - off, 0, len);
        if (avail == 0)
        {
            // A hole: the target range reads as zeros afterwards without allocating anything.
            dst.ZeroRange(to, len, free: false, store);
            if (to + len > dst.Size) dst.Size = to + len;
            return len;
        }
        c.AsSpan(off, avail).CopyTo(scratch);
        scratch.AsSpan(avail, len - avail).Clear();
        return dst.Write(to, scratch.AsSpan(0, len), store);
    }
}
