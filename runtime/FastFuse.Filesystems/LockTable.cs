using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

/// <summary>
/// POSIX record locks and flock locks of a filesystem that keeps them itself (MemFs), with the semantics Linux
/// gives a local file: per-owner byte ranges that merge and split, shared and exclusive, conflicts only between
/// different owners; flock as a whole-file lock per open file, separate from record locks; waiters (SETLKW and
/// flock without LOCK_NB) parked as deferred replies, never on a worker thread, granted in arrival order when a
/// lock goes away, answered EINTR when the kernel interrupts them, and EDEADLK when waiting would close a cycle
/// of owners waiting for each other (posix_locks_deadlock). One lock guards it all: lock calls are rare.
/// </summary>
internal sealed class LockTable
{
    public const uint ReadLock = 0, WriteLock = 1, Unlock = 2;   // F_RDLCK, F_WRLCK, F_UNLCK
    private const long OffsetMax = long.MaxValue;
    private const int MaxDeadlockSteps = 10;                     // as the kernel's MAX_DEADLK_ITERATIONS

    /// <summary>One lock. <see cref="Fh"/>: the open file it was taken through (what ends an OFD lock).</summary>
    private readonly record struct Range(ulong Owner, long Start, long End, uint Type, uint Pid, ulong Fh)
    {
        public bool Overlaps(in Range o) => Start <= o.End && o.Start <= End;
        public bool ConflictsWith(in Range o) => Owner != o.Owner && Overlaps(in o) && (Type == WriteLock || o.Type == WriteLock);
    }

    private sealed class Waiter(ulong node, bool flock, Range want, PendingReply reply)
    {
        public readonly ulong Node = node;
        public readonly bool Flock = flock;
        public readonly Range Want = want;
        public readonly PendingReply Reply = reply;
    }

    private sealed class NodeLocks
    {
        public readonly List<Range> Posix = new();
        public readonly List<Range> Flock = new();
        public bool Empty => Posix.Count == 0 && Flock.Count == 0;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, NodeLocks> _nodes = new();
    private readonly List<Waiter> _waiters = new();
    /// <summary>Nodes with locks plus waiters, written under the gate: FLUSH and RELEASE (every close) skip the gate
    /// while nobody uses locks, which is the common case.</summary>
    private volatile int _inUse;

    private void Recount() => _inUse = _nodes.Count + _waiters.Count;

    /// <summary>GETLK: the first lock of another owner that conflicts with <paramref name="lk"/>, or F_UNLCK.</summary>
    public FuseFileLock Test(ulong node, in FuseLkIn lk)
    {
        var want = RangeOf(in lk);
        lock (_gate)
        {
            if (_nodes.TryGetValue(node, out var locks) && FirstConflict(Held(locks, Flock(in lk)), in want) is { } c)
                return new FuseFileLock { Start = (ulong)c.Start, End = (ulong)c.End, Type = c.Type, Pid = c.Pid };
        }
        return new FuseFileLock { Start = lk.Lk.Start, End = lk.Lk.End, Type = Unlock, Pid = 0 };
    }

    /// <summary>SETLK / SETLKW (and flock): 0, EAGAIN (SETLK, conflict), <see cref="Status.Deferred"/> (SETLKW,
    /// parked: <paramref name="defer"/> made its reply), EDEADLK, or EINVAL for a bad range or type.</summary>
    public int Set(in RequestContext ctx, ulong node, in FuseLkIn lk, bool wait)
    {
        if (lk.Lk.Type > Unlock || lk.Lk.Start > (ulong)OffsetMax || lk.Lk.End < lk.Lk.Start) return Errno.EINVAL;
        var want = RangeOf(in lk);
        bool flock = Flock(in lk);
        lock (_gate)
        {
            var locks = Locks(node);
            if (flock) locks.Flock.RemoveAll(r => r.Owner == want.Owner);   // flock drops the old lock first, as Linux
            if (want.Type == Unlock)
            {
                if (!flock) Apply(locks.Posix, in want);
                Changed(node, locks);
                return Status.Ok;
            }
            var held = Held(locks, flock);
            if (FirstConflict(held, in want) is not { } blocker)
            {
                if (flock) locks.Flock.Add(want);
                else Apply(locks.Posix, in want);
                if (flock) Changed(node, locks);   // the dropped old lock may let someone in
                return Status.Ok;
            }
            if (flock) Changed(node, locks);
            if (!wait) return Errno.EAGAIN;
            if (!flock && WouldDeadlock(want.Owner, blocker.Owner)) return Errno.EDEADLK;
            var reply = ctx.Defer();
            var waiter = new Waiter(node, flock, want, reply);
            _waiters.Add(waiter);
            Recount();
            reply.OnInterrupt(() => Interrupted(waiter));
            return Status.Deferred;
        }
    }

    /// <summary>FLUSH (a close by the owner: its record locks on the file go) or RELEASE with
    /// FUSE_RELEASE_FLOCK_UNLOCK (the last close of an open file: its flock goes).</summary>
    public void ReleaseOwner(ulong node, ulong owner, bool flock)
    {
        if (_inUse == 0) return;
        lock (_gate)
        {
            if (!_nodes.TryGetValue(node, out var locks)) return;
            int removed = (flock ? locks.Flock : locks.Posix).RemoveAll(r => r.Owner == owner);
            if (removed > 0) Changed(node, locks);
        }
    }

    /// <summary>RELEASE of open file <paramref name="fh"/>: record locks still taken through it are OFD locks (the
    /// kernel sends no unlock for those, and a process's own locks went at its FLUSH): they end with the file.</summary>
    public void ReleaseHandle(ulong node, ulong fh)
    {
        if (_inUse == 0) return;
        lock (_gate)
        {
            if (!_nodes.TryGetValue(node, out var locks)) return;
            if (locks.Posix.RemoveAll(r => r.Fh == fh) > 0) Changed(node, locks);
        }
    }

    private static bool Flock(in FuseLkIn lk) => (lk.LkFlags & 1) != 0;   // FUSE_LK_FLOCK

    private static Range RangeOf(in FuseLkIn lk) =>
        new(lk.Owner, (long)Math.Min(lk.Lk.Start, (ulong)OffsetMax), (long)Math.Min(lk.Lk.End, (ulong)OffsetMax), lk.Lk.Type, lk.Lk.Pid, lk.Fh);

    private NodeLocks Locks(ulong node)
    {
        if (!_nodes.TryGetValue(node, out var locks))
        {
            _nodes[node] = locks = new NodeLocks();
            Recount();
        }
        return locks;
    }

    private static List<Range> Held(NodeLocks locks, bool flock) => flock ? locks.Flock : locks.Posix;

    private static Range? FirstConflict(List<Range> held, in Range want)
    {
        foreach (var r in held)
            if (r.ConflictsWith(in want)) return r;
        return null;
    }

    /// <summary>Set (or, with F_UNLCK, clear) <paramref name="n"/> in one owner's record locks: its other locks of
    /// the same type that overlap or touch merge into it; those of the other type lose the covered part.</summary>
    private static void Apply(List<Range> posix, in Range n)
    {
        long start = n.Start, end = n.End;
        for (int i = posix.Count - 1; i >= 0; i--)
        {
            var l = posix[i];
            if (l.Owner != n.Owner) continue;
            bool touches = l.Overlaps(in n) || (l.End < OffsetMax && l.End + 1 == n.Start) || (n.End < OffsetMax && n.End + 1 == l.Start);
            if (!touches) continue;
            if (l.Type == n.Type && n.Type != Unlock)
            {
                start = Math.Min(start, l.Start);
                end = Math.Max(end, l.End);
                posix.RemoveAt(i);
            }
            else if (l.Overlaps(in n))
            {
                posix.RemoveAt(i);
                if (l.Start < n.Start) posix.Add(l with { End = n.Start - 1 });
                if (l.End > n.End) posix.Add(l with { Start = n.End + 1 });
            }
        }
        if (n.Type != Unlock) posix.Add(n with { Start = start, End = end });
    }

    /// <summary>Locks on <paramref name="node"/> went away or changed: grant what waiters can now have, in order.</summary>
    private void Changed(ulong node, NodeLocks locks)
    {
        for (int i = 0; i < _waiters.Count; i++)
        {
            var w = _waiters[i];
            if (w.Node != node || FirstConflict(Held(locks, w.Flock), w.Want) is not null) continue;
            _waiters.RemoveAt(i--);
            if (w.Flock) locks.Flock.Add(w.Want);
            else Apply(locks.Posix, w.Want);
            w.Reply.Ok();
        }
        if (locks.Empty && !_waiters.Exists(w => w.Node == node)) _nodes.Remove(node);
        Recount();
    }

    /// <summary>Would <paramref name="owner"/> waiting for <paramref name="holder"/> close a cycle? Follow what each
    /// holder itself waits for.</summary>
    private bool WouldDeadlock(ulong owner, ulong holder)
    {
        for (int step = 0; step < MaxDeadlockSteps; step++)
        {
            if (holder == owner) return true;
            var w = _waiters.Find(x => !x.Flock && x.Want.Owner == holder);
            if (w is null || !_nodes.TryGetValue(w.Node, out var locks) || FirstConflict(locks.Posix, w.Want) is not { } next) return false;
            holder = next.Owner;
        }
        return false;
    }

    private void Interrupted(Waiter w)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(w)) return;   // granted meanwhile
            if (_nodes.TryGetValue(w.Node, out var locks) && locks.Empty && !_waiters.Exists(x => x.Node == w.Node)) _nodes.Remove(w.Node);
            Recount();
        }
        w.Reply.Error(Errno.EINTR);
    }
}
