namespace FastFuse.Filesystems;

/// <summary>
/// The byte ranges one lock owner holds on one file, kept as Linux keeps the record locks of one owner
/// (posix_lock_inode): a new range merges with the owner's ranges of the same type that overlap or touch it, and
/// cuts the part it covers out of those of the other type; an unlock only cuts. <see cref="LoopbackLocks"/> keeps one
/// next to each owner's descriptor, so that a lock the source's kernel reports (F_OFD_GETLK says only "an OFD lock",
/// l_pid -1) can be told to be that owner's. Not thread-safe: its owner's gate guards it.
/// </summary>
internal sealed class OwnerRanges
{
    public const uint Unlock = 2;   // F_UNLCK
    private const long OffsetMax = long.MaxValue;

    public readonly record struct Range(long Start, long End, uint Type)
    {
        public bool Overlaps(long start, long end) => Start <= end && start <= End;
    }

    private readonly List<Range> _ranges = new();

    public int Count => _ranges.Count;
    public IReadOnlyList<Range> All => _ranges;

    public void Clear() => _ranges.Clear();

    /// <summary>Does the owner hold exactly this lock (as the kernel reports a conflicting lock: whole)?</summary>
    public bool HoldsExactly(long start, long end, uint type) => _ranges.Contains(new Range(start, end, type));

    /// <summary>Does the owner hold a lock of <paramref name="type"/> overlapping the range?</summary>
    public bool HoldsAny(long start, long end, uint type) => _ranges.Exists(r => r.Type == type && r.Overlaps(start, end));

    /// <summary>Set (or with <see cref="Unlock"/> clear) <c>[start, end]</c>, after the kernel did the same.</summary>
    public void Apply(long start, long end, uint type)
    {
        long s = start, e = end;
        for (int i = _ranges.Count - 1; i >= 0; i--)
        {
            var l = _ranges[i];
            bool overlaps = l.Overlaps(start, end);
            bool touches = overlaps || (l.End < OffsetMax && l.End + 1 == start) || (end < OffsetMax && end + 1 == l.Start);
            if (!touches) continue;
            if (l.Type == type && type != Unlock)
            {
                s = Math.Min(s, l.Start);
                e = Math.Max(e, l.End);
                _ranges.RemoveAt(i);
            }
            else if (overlaps)
            {
                _ranges.RemoveAt(i);
                if (l.Start < start) _ranges.Add(l with { End = start - 1 });
                if (l.End > end) _ranges.Add(l with { Start = end + 1 });
            }
        }
        if (type != Unlock) _ranges.Add(new Range(s, e, type));
    }
}
