using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

/// <summary>
/// A regular file: size and sparse data. Data is cut into 64 KiB chunks of native memory (<see cref="ChunkStore"/>),
/// allocated lazily; a chunk may be shorter than 64 KiB (a small one grows in place), bytes past its end read as
/// zeros, and so does a missing chunk.
/// Invariant: every stored byte at or past <see cref="Size"/> is zero, so growing the size never needs zeroing.
/// Chunks sit in pages of 256 (16 MiB of data) kept in a dictionary by page index: memory is proportional to the
/// data written, never to the logical size. Everything here runs under <c>lock(this)</c>.
/// </summary>
internal sealed class FileNode : MemNode
{
    private const int PageShift = 8;
    private const int PageSlots = 1 << PageShift;
    private const int PageMask = PageSlots - 1;
    private const int CS = ChunkStore.ChunkSize;

    /// <summary>Poll handles (kh) waiting for this empty file to get data (<see cref="MemFsOptions.PollWaitsForData"/>);
    /// null while nobody waits, so a write pays one field read.</summary>
    public HashSet<ulong>? PollWaiters;

    /// <summary>Up to 256 chunks. The array grows (doubling) to the highest slot used, so a small file's page holds
    /// one chunk (16 bytes) and not 256 (4 KiB): that halved the cost of 1,000 small files in ChunkStoreBench.</summary>
    private sealed class Page
    {
        public Chunk[] Slots = new Chunk[1];
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Chunk Get(int s) => (uint)s < (uint)Slots.Length ? Slots[s] : default;

        public void Set(int s, Chunk c)
        {
            if (s >= Slots.Length)
            {
                int n = Slots.Length;
                while (n <= s) n *= 2;
                Array.Resize(ref Slots, Math.Min(n, PageSlots));
            }
            Slots[s] = c;
        }
    }

    private Dictionary<long, Page>? _pages;
    private long _lastPageIndex = -1;
    private Page? _lastPage;

    public long Size;
    /// <summary>Bytes of chunks held (what st_blocks reports, in 512-byte units).</summary>
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

    /// <summary>The chunk at <paramref name="index"/>, or a null chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Chunk GetChunk(long index) => GetPage(index >> PageShift) is { } p ? p.Get((int)(index & PageMask)) : default;

    private Page NewPage(long pageIndex)
    {
        var page = new Page();
        (_pages ??= new Dictionary<long, Page>()).Add(pageIndex, page);
        _lastPageIndex = pageIndex;
        _lastPage = page;
        return page;
    }

    private void FreeSlot(long pageIndex, Page page, int slotIndex, ChunkStore store)
    {
        var c = page.Get(slotIndex);
        if (c.IsNull) return;
        page.Slots[slotIndex] = default;
        AllocatedBytes -= c.Length;
        store.Unreserve(c.Length);
        store.Free(in c);
        if (--page.Count == 0)
        {
            _pages!.Remove(pageIndex);
            if (_lastPageIndex == pageIndex) { _lastPageIndex = -1; _lastPage = null; }
        }
    }

    /// <summary>
    /// The bytes of the chunk at <paramref name="index"/>, at least <paramref name="need"/> of them, allocated or
    /// grown as needed; empty when the capacity (or memory) is exhausted. New bytes are zero except
    /// [skipFrom, skipTo), which the caller overwrites at once.
    /// <para>Which arena: a chunk needed whole at once (a 64 KiB write, fallocate), or the next chunk after a full
    /// one (a file growing sequentially, even in small writes), is allocated full from huge pages; any other starts
    /// small and grows in place, in 4 KiB steps, up to 64 KiB.</para>
    /// </summary>
    private Span<byte> EnsureChunk(long index, int need, int skipFrom, int skipTo, ChunkStore store)
    {
        long pi = index >> PageShift;
        var page = GetPage(pi);
        int si = (int)(index & PageMask);
        if (page is not null && si < page.Slots.Length)
        {
            ref var slot = ref page.Slots[si];
            int cur = slot.Length;
            if (cur >= need) return ChunkStore.Bytes(slot);
            if (!slot.IsNull)
            {
                // A small chunk: its slot is 64 KiB and every byte past Length is zero, so it grows without a copy.
                int grown = (need + ChunkStore.Granule - 1) & ~(ChunkStore.Granule - 1);
                if (!store.Reserve(grown - cur)) return default;
                slot.Length = grown;
                AllocatedBytes += grown - cur;
                return ChunkStore.Bytes(slot);
            }
        }
        bool huge = need == CS || (index > 0 && GetChunk(index - 1).Length == CS);
        int len = huge ? CS : (need + ChunkStore.Granule - 1) & ~(ChunkStore.Granule - 1);
        if (!store.Reserve(len)) return default;
        if (!store.TryRent(huge, len, skipFrom, skipTo, out var c))
        {
            store.Unreserve(len);
            return default;
        }
        page ??= NewPage(pi);
        page.Set(si, c);
        page.Count++;
        AllocatedBytes += len;
        return ChunkStore.Bytes(c);
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
            for (int s = from; s < page.Slots.Length && page.Count > 0; s++) FreeSlot(pi, page, s, store);
        }
    }

    // ---- data operations ----

    /// <summary>Answer a READ: pinned chunk memory, zeros for holes. Stops at end of file.</summary>
    /// <summary>Answer a READ: chunk memory (lent, or copied into the reply when <paramref name="copy"/>), zeros for
    /// holes. Stops at end of file.</summary>
    public void Read(long offset, int size, ref DataReply reply, bool copy)
    {
        if (offset >= Size || size <= 0) return;
        long end = Math.Min(Size, offset + size);
        long pos = offset;
        while (pos < end)
        {
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = (int)Math.Min(CS - off, end - pos);
            var c = GetChunk(pos >> ChunkStore.ChunkShift);
            int avail = c.Length - off;
            if (avail >= len)
            {
                if (copy) reply.Append(ChunkStore.Bytes(c).Slice(off, len));
                else reply.AppendPinned(ChunkStore.Bytes(c).Slice(off, len));
            }
            else
            {
                if (avail > 0 && copy) reply.Append(ChunkStore.Bytes(c).Slice(off, avail));
                else if (avail > 0) reply.AppendPinned(ChunkStore.Bytes(c).Slice(off, avail));
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
            if (c.IsEmpty) break;
            data.Slice(done, len).CopyTo(c[off..]);
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
                if (c.Length > off) ChunkStore.Bytes(c)[off..].Clear();
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
            int to = (int)Math.Min(page.Slots.Length - 1, lastIdx - pageFirst);
            for (int s = from; s <= to; s++)
            {
                var c = page.Slots[s];
                if (c.IsNull) continue;
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
                    ChunkStore.Bytes(c).Slice((int)a, (int)(Math.Min(b, c.Length) - a)).Clear();
                }
            }
        }
    }

    /// <summary>Bytes that allocating [offset, offset+length) would add (the sizes <see cref="EnsureChunk"/> picks).</summary>
    private long AllocationCost(long offset, long length)
    {
        long end = offset + length;
        long cost = 0;
        long index = offset >> ChunkStore.ChunkShift;
        bool prevFull = index > 0 && GetChunk(index - 1).Length == CS;
        for (long pos = offset; pos < end; index++)
        {
            int off = (int)(pos & ChunkStore.ChunkMask);
            int len = (int)Math.Min(CS - off, end - pos);
            var c = GetChunk(index);
            int need = off + len;
            int after = c.Length;
            if (c.Length < need)
            {
                after = !c.IsNull || !(need == CS || prevFull) ? (need + ChunkStore.Granule - 1) & ~(ChunkStore.Granule - 1) : CS;
                cost += after - c.Length;
            }
            prevFull = after == CS;
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
            if (EnsureChunk(pos >> ChunkStore.ChunkShift, off + len, 0, 0, store).IsEmpty) return false;
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
            for (int s = (int)Math.Max(0, idx - pageFirst); s < page.Slots.Length; s++)
            {
                if (!page.Slots[s].IsNull)
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
            while (s < PageSlots && !page.Get(s).IsNull) s++;
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
        int avail = Math.Clamp(c.Length - off, 0, len);
        if (avail == 0)
        {
            // A hole: the target range reads as zeros afterwards without allocating anything.
            dst.ZeroRange(to, len, free: false, store);
            if (to + len > dst.Size) dst.Size = to + len;
            return len;
        }
        ChunkStore.Bytes(c).Slice(off, avail).CopyTo(scratch);
        scratch.AsSpan(avail, len - avail).Clear();
        return dst.Write(to, scratch.AsSpan(0, len), store);
    }
}
