namespace FastFuse.Filesystems;

/// <summary>
/// Decompressed 64 KiB blocks of a zip archive's entries, shared by every reader, in a bounded LRU. Block buffers
/// are allocated as the cache fills and then reused for ever (no garbage per block: a churning cache of short-lived
/// 64 KiB arrays would keep promoting them into gen 2). A reader copies out of a block without the lock: it pins
/// the block (a count) while it copies, and eviction passes over pinned blocks.
/// <para>Steady state allocates nothing: a hit is a dictionary lookup and an LRU move under the lock, then a copy.</para>
/// </summary>
internal sealed class ZipBlockCache
{
    public const int BlockShift = 16;
    public const int BlockSize = 1 << BlockShift;

    private struct Slot
    {
        public long Key;
        public int Prev, Next;      // LRU list: head is the most recently used
        public int Length;
        public int Pins;            // readers copying out now: Interlocked
    }

    private readonly Lock _sync = new();
    private readonly Dictionary<long, int> _index;
    private readonly Slot[] _slots;
    private readonly byte[]?[] _data;
    private int _used;
    private int _head = -1, _tail = -1;
    private long _hits, _misses;

    /// <summary>A cache of at most <paramref name="capacityBytes"/> (at least two blocks).</summary>
    public ZipBlockCache(long capacityBytes)
    {
        int blocks = (int)Math.Clamp(capacityBytes / BlockSize, 2, 1 << 20);
        _slots = new Slot[blocks];
        _data = new byte[blocks][];
        _index = new Dictionary<long, int>(blocks);
    }

    /// <summary>Blocks the cache may hold.</summary>
    public int Capacity => _slots.Length;
    /// <summary>Reads served from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);
    /// <summary>Reads that found their block missing.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The key of block <paramref name="block"/> of entry <paramref name="entry"/> (blocks below 2^40: entries up to 2^56 bytes).</summary>
    public static long Key(int entry, long block) => ((long)entry << 40) | block;

    /// <summary>Copy <paramref name="dest"/>.Length bytes from <paramref name="offset"/> in a cached block; false when
    /// the block is not cached.</summary>
    public bool TryCopy(long key, int offset, Span<byte> dest)
    {
        int s;
        byte[] data;
        lock (_sync)
        {
            if (!_index.TryGetValue(key, out s) || offset + dest.Length > _slots[s].Length)
            {
                _misses++;
                return false;
            }
            MoveToFront(s);
            Interlocked.Increment(ref _slots[s].Pins);
            data = _data[s]!;
            _hits++;
        }
        data.AsSpan(offset, dest.Length).CopyTo(dest);
        Interlocked.Decrement(ref _slots[s].Pins);     // a full fence: the copy is done before eviction may reuse it
        return true;
    }

    /// <summary>Keep a copy of <paramref name="block"/> under <paramref name="key"/>, evicting the least recently used
    /// block that nobody is copying (nothing is cached when every block is being copied).</summary>
    public void Insert(long key, ReadOnlySpan<byte> block)
    {
        lock (_sync)
        {
            if (_index.ContainsKey(key)) return;
            int s;
            if (_used < _slots.Length) s = _used++;
            else
            {
                s = Victim();
                if (s < 0) return;
                _index.Remove(_slots[s].Key);
                Unlink(s);
            }
            var data = _data[s] ??= new byte[BlockSize];
            block.CopyTo(data);
            _slots[s].Key = key;
            _slots[s].Length = block.Length;
            _index[key] = s;
            PushFront(s);
        }
    }

    private int Victim()
    {
        for (int s = _tail; s >= 0; s = _slots[s].Prev)
            if (Volatile.Read(ref _slots[s].Pins) == 0) return s;
        return -1;
    }

    private void MoveToFront(int s)
    {
        if (s == _head) return;
        Unlink(s);
        PushFront(s);
    }

    private void Unlink(int s)
    {
        ref var slot = ref _slots[s];
        if (slot.Prev >= 0) _slots[slot.Prev].Next = slot.Next;
        else _head = slot.Next;
        if (slot.Next >= 0) _slots[slot.Next].Prev = slot.Prev;
        else _tail = slot.Prev;
        slot.Prev = slot.Next = -1;
    }

    private void PushFront(int s)
    {
        ref var slot = ref _slots[s];
        slot.Prev = -1;
        slot.Next = _head;
        if (_head >= 0) _slots[_head].Prev = s;
        _head = s;
        if (_tail < 0) _tail = s;
    }
}
