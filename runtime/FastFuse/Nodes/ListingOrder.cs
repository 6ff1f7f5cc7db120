namespace FastFuse.Nodes;

/// <summary>One name in a directory's listing order. <see cref="Cookie"/> is the readdir offset that continues after
/// it; a removed name stays as a tombstone (its cookie keeps later offsets valid) until compaction.</summary>
internal abstract class ListingEntry(long cookie)
{
    public readonly long Cookie = cookie;
    public bool Removed;
}

/// <summary>
/// A directory's names in the order they were added, with increasing cookies for readdir: the node API's
/// <see cref="ChildTable"/> and MemFs's directories share it. Removed entries stay as tombstones until they outnumber
/// the live ones, then the order is compacted: removal is amortised O(1), and resuming a listing is a binary search
/// on the cookie. Not thread-safe: the owner's lock guards it.
/// </summary>
internal sealed class ListingOrder<T> where T : ListingEntry
{
    /// <summary>Offsets 1 and 2 are "." and ".."; entries' cookies start at 3.</summary>
    public const long FirstCookie = 3;

    private readonly List<T> _order = new();
    private int _tombstones;
    private long _nextCookie = FirstCookie;

    /// <summary>Entries, tombstones included.</summary>
    public int Count => _order.Count;
    public T this[int index] => _order[index];
    public List<T>.Enumerator GetEnumerator() => _order.GetEnumerator();

    /// <summary>The cookie for the next entry (to construct it with), then <see cref="Add"/> it.</summary>
    public long NextCookie() => _nextCookie++;
    public void Add(T entry) => _order.Add(entry);

    /// <summary>Mark <paramref name="entry"/> removed; compact once tombstones outnumber the <paramref name="live"/> entries.</summary>
    public void Remove(T entry, int live)
    {
        entry.Removed = true;
        if (++_tombstones > 32 && _tombstones > live) Compact();
    }

    private void Compact()
    {
        int w = 0;
        for (int r = 0; r < _order.Count; r++)
        {
            var e = _order[r];
            if (!e.Removed) _order[w++] = e;
        }
        _order.RemoveRange(w, _order.Count - w);
        _tombstones = 0;
    }

    /// <summary>Index of the first entry whose cookie is above <paramref name="cookie"/>.</summary>
    public int FirstAfter(long cookie)
    {
        int lo = 0, hi = _order.Count;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_order[mid].Cookie <= cookie) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
