using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

/// <summary>
/// The locks <see cref="LoopbackFs"/> forwards to its source, so that a process on the source and one through the
/// mount see each other's locks.
/// <para><b>Record locks</b> (fcntl; a process's POSIX locks and OFD locks alike: the kernel names each by its
/// owner). Each (node, lock owner) gets its own descriptor of the source file, opened by the daemon, and the owner's
/// locks are F_OFD_SETLK on it: OFD locks of distinct descriptors conflict with each other and with the POSIX locks
/// of any process on the source, and those of one descriptor merge and split as one process's locks do. The
/// descriptor is opened read-only for read locks, read-write once a write lock is asked for (its read locks move
/// to the new one first); it is closed when its owner holds and waits for nothing: an unlock of everything, the
/// owner's FLUSH (a close by a process releases its locks on the file), the RELEASE of the open file it was taken
/// through (OFD locks end with their open file).</para>
/// <para><b>flock</b> is flock(2) on the open file's own descriptor (its FUSE handle: one open file description per
/// open, as flock wants); the RELEASE with FUSE_RELEASE_FLOCK_UNLOCK unlocks it first (a passthrough backing file
/// may keep that description alive past the close).</para>
/// <para><b>Waiting</b> (SETLKW, flock without LOCK_NB) never holds a worker: the request is deferred and one
/// thread retries the non-blocking call, at once when a lock through the mount changed, else polling the source at
/// 1, 2, 4… up to <see cref="MaxPollMs"/> ms. A blocking call per waiter could not be cancelled: only a signal
/// ends F_OFD_SETLKW, and this process's signals belong to the .NET runtime; a lock granted just as the interrupt
/// came could not be given back either (an unlock would also drop what the owner held before). A retry is atomic
/// under the gate, so an interrupt (<see cref="PendingReply.OnInterrupt"/>) ends a waiter with EINTR exactly when it
/// did not get the lock. The price: no FIFO order against waiters on the source, and up to MaxPollMs of delay after
/// a release on the source.</para>
/// <para><b>Deadlock</b>: a SETLKW that would wait, through owners of this mount that wait for each other, for
/// itself is EDEADLK, as posix_locks_deadlock (OFD owners included, which Linux leaves to hang). A cycle that goes
/// through a process on the source cannot be seen from here.</para>
/// </summary>
internal sealed class LoopbackLocks : IDisposable
{
    public const uint ReadLock = 0, WriteLock = 1, Unlock = 2;   // F_RDLCK, F_WRLCK, F_UNLCK
    private const uint LkFlock = 1;                              // FUSE_LK_FLOCK
    private const long OffsetMax = long.MaxValue;
    private const int MaxDeadlockSteps = 10;                     // as the kernel's MAX_DEADLK_ITERATIONS
    private const int MaxPollMs = 32;

    /// <summary>Opens a node's source file, as the daemon, with an access mode: a descriptor or -errno.</summary>
    private readonly Func<ulong, int, int> _open;
    /// <summary>Is this descriptor (a FUSE handle) still an open file of the mount?</summary>
    private readonly Func<int, bool> _isOpenFile;

    /// <summary>One lock owner's locks on one node: its descriptor of the source file and what it holds there.</summary>
    private sealed class Owner(ulong node, ulong id)
    {
        public readonly ulong Node = node;
        public readonly ulong Id = id;
        /// <summary>The open file of the owner's last lock (an OFD owner's locks end with it).</summary>
        public ulong Fh;
        public int Fd = -1;
        public int Access;
        /// <summary>The process that last took a lock as this owner: what F_GETLK reports.</summary>
        public uint Pid;
        public readonly OwnerRanges Held = new();
        public int Waiting;
        public bool Idle => Held.Count == 0 && Waiting == 0;
    }

    /// <summary>A SETLKW (or a blocking flock) that could not be granted yet.</summary>
    private sealed class Waiter(Owner? owner, int flockFd, ulong fh, uint type, long start, long end, uint pid, PendingReply reply)
    {
        public readonly Owner? Owner = owner;   // null: flock on FlockFd
        public readonly int FlockFd = flockFd;
        public readonly ulong Fh = fh;
        public readonly uint Type = type;
        public readonly long Start = start, End = end;
        public readonly uint Pid = pid;
        public readonly PendingReply Reply = reply;
    }

    private readonly record struct Conflict(long Start, long End, uint Type, int Pid);

    private readonly Lock _gate = new();
    /// <summary>Owners by node (a node has few: a lookup walks its list).</summary>
    private readonly Dictionary<ulong, List<Owner>> _owners = new();
    private int _ownerCount;
    private readonly List<Waiter> _waiters = new();
    /// <summary>Owners plus waiters, written under the gate: FLUSH (every close) skips the gate while it is 0.</summary>
    private volatile int _inUse;
    /// <summary>Waiters, for the poller's sleep (forever while 0).</summary>
    private volatile int _waiting;
    private readonly AutoResetEvent _kick = new(false);
    private Thread? _poller;
    private volatile bool _disposed;

    public LoopbackLocks(Func<ulong, int, int> open, Func<int, bool> isOpenFile)
    {
        _open = open;
        _isOpenFile = isOpenFile;
    }

    /// <summary>Descriptors held for owners (one each).</summary>
    public int Descriptors
    {
        get { lock (_gate) return _ownerCount; }
    }

    public static bool IsFlock(in FuseLkIn lk) => (lk.LkFlags & LkFlock) != 0;

    private void Recount()
    {
        _inUse = _ownerCount + _waiters.Count;
        _waiting = _waiters.Count;
    }

    // ---------------------------------------------------------------- requests

    /// <summary>GETLK: the first lock of another owner (through the mount or on the source) that conflicts.</summary>
    public int Test(ulong node, in FuseLkIn lk, ref FuseFileLock result)
    {
        if (!RangeOf(in lk, out long start, out long end) || lk.Lk.Type > WriteLock) return Errno.EINVAL;
        lock (_gate)
        {
            // The owner's own descriptor, so that its own locks do not count; else a fresh one, which holds none.
            var me = Find(node, lk.Owner);
            int fd = me is not null ? me.Fd : OpenFor(node, ReadLock, out _);
            if (fd < 0) return -fd;
            int err = Getlk(fd, lk.Lk.Type, start, end, out var c);
            if (me is null) Close(fd);
            if (err != 0) return err;
            if (c.Type == Unlock)
            {
                result = new FuseFileLock { Start = lk.Lk.Start, End = lk.Lk.End, Type = Unlock, Pid = 0 };
                return Status.Ok;
            }
            // A POSIX lock on the source names its process; an OFD lock is -1 (the kernel shows FUSE's 0 for it),
            // unless it is one of ours, whose process we know.
            uint pid = c.Pid > 0 ? (uint)c.Pid : HolderOf(node, lk.Owner, in c)?.Pid ?? 0;
            result = new FuseFileLock { Start = (ulong)c.Start, End = (ulong)c.End, Type = c.Type, Pid = pid };
            return Status.Ok;
        }
    }

    /// <summary>SETLK / SETLKW of a record lock: 0, EAGAIN, EDEADLK, <see cref="Status.Deferred"/>, or the errno
    /// of the source.</summary>
    public int Set(in RequestContext ctx, ulong node, in FuseLkIn lk, bool wait)
    {
        if (!RangeOf(in lk, out long start, out long end) || lk.Lk.Type > Unlock) return Errno.EINVAL;
        uint type = lk.Lk.Type;
        lock (_gate)
        {
            var o = Find(node, lk.Owner);
            if (type == Unlock)
            {
                if (o is null) return Status.Ok;
                int e = Setlk(o.Fd, Unlock, start, end);
                if (e != 0) return e;
                o.Held.Apply(start, end, Unlock);
                DropIfIdle(o);
                Kick();
                return Status.Ok;
            }
            if (o is null)
            {
                o = new Owner(node, lk.Owner);
                if (!_owners.TryGetValue(node, out var list)) _owners[node] = list = new List<Owner>(1);
                list.Add(o);
                _ownerCount++;
                Recount();
            }
            int err = Ready(o, type);
            if (err == 0 && (err = Setlk(o.Fd, type, start, end)) == 0)
            {
                Took(o, start, end, type, lk.Fh, lk.Lk.Pid);
                Kick();   // a downgrade or a split may let a waiter in
                return Status.Ok;
            }
            if (err != Errno.EAGAIN || !wait || WouldDeadlock(o, start, end, type, out err))
            {
                DropIfIdle(o);
                return err;
            }
            var reply = ctx.Defer();
            o.Waiting++;
            Park(new Waiter(o, -1, lk.Fh, type, start, end, lk.Lk.Pid, reply));
            return Status.Deferred;
        }
    }

    /// <summary>flock on the open file <paramref name="fh"/> (FUSE_LK_FLOCK): F_RDLCK is LOCK_SH, F_WRLCK LOCK_EX.</summary>
    public int Flock(in RequestContext ctx, ulong fh, in FuseLkIn lk, bool wait)
    {
        if (lk.Lk.Type > Unlock) return Errno.EINVAL;
        int fd = (int)fh;
        lock (_gate)
        {
            if (!_isOpenFile(fd)) return Errno.EBADF;
            int err = TryFlock(fd, lk.Lk.Type);
            // Whatever the outcome, the old lock of this open file is gone first (Linux converts that way).
            Kick();
            if (err != Errno.EAGAIN || !wait) return err;
            Park(new Waiter(null, fd, fh, lk.Lk.Type, 0, OffsetMax, lk.Lk.Pid, ctx.Defer()));
            return Status.Deferred;
        }
    }

    /// <summary>FLUSH: a close by <paramref name="owner"/>; its record locks on the node go (cheap while no lock exists).</summary>
    public void Flush(ulong node, ulong owner)
    {
        if (_inUse == 0) return;
        lock (_gate)
        {
            if (Find(node, owner) is { } o) ReleaseAll(o);
        }
    }

    /// <summary>RELEASE of open file <paramref name="fh"/>: its flock (with FUSE_RELEASE_FLOCK_UNLOCK: a passthrough
    /// backing file may keep the open file description alive past the close) and the record locks still taken through
    /// it (OFD locks: a process's own went at its FLUSH) go. Call before the handle's descriptor is closed.
    /// <para>No request of the file can be waiting here: the kernel waits for the answer of a request it sent, even
    /// for a killed caller (after an INTERRUPT, which answers a waiter EINTR), and the waiting call holds its file.
    /// So while nothing is locked, the gate is skipped.</para></summary>
    public void Release(ulong node, ulong fh, bool flockUnlock)
    {
        if (flockUnlock) Native.LoopSys.Flock((int)fh, LOCK_UN);
        if (_inUse == 0) return;
        List<Waiter>? gone = null;
        lock (_gate)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
                if (_waiters[i].Fh == fh) (gone ??= new()).Add(Unpark(i));   // cannot happen (see above): never leave one on a closed descriptor
            if (flockUnlock) Kick();
            if (_owners.TryGetValue(node, out var list))
                foreach (var o in list.ToArray())
                    if (o.Fh == fh) ReleaseAll(o);
        }
        Answer(gone, Errno.EINTR);
    }

    // ---------------------------------------------------------------- owners

    /// <summary>Unlock everything <paramref name="o"/> holds; close its descriptor unless a waiter still needs it.</summary>
    private void ReleaseAll(Owner o)
    {
        if (o.Held.Count > 0)
        {
            Setlk(o.Fd, Unlock, 0, OffsetMax);
            o.Held.Clear();
            Kick();
        }
        DropIfIdle(o);
    }

    private Owner? Find(ulong node, ulong owner)
    {
        if (!_owners.TryGetValue(node, out var list)) return null;
        foreach (var o in list)
            if (o.Id == owner) return o;
        return null;
    }

    private void Took(Owner o, long start, long end, uint type, ulong fh, uint pid)
    {
        o.Held.Apply(start, end, type);
        o.Fh = fh;
        if (pid != 0) o.Pid = pid;
    }

    private void DropIfIdle(Owner o)
    {
        if (!o.Idle) return;
        if (o.Fd >= 0) Close(o.Fd);
        o.Fd = -1;
        if (_owners.TryGetValue(o.Node, out var list) && list.Remove(o))
        {
            _ownerCount--;
            if (list.Count == 0) _owners.Remove(o.Node);
        }
        Recount();
    }

    /// <summary>Make <paramref name="o"/>'s descriptor fit a lock of <paramref name="type"/>: open it, or trade a
    /// read-only one for a read-write one, moving its read locks over first. That cannot fail: nobody else holds a
    /// write lock where the owner holds read locks, and the old descriptor's read locks do not conflict with them.
    /// At every moment one of the two descriptors holds them.</summary>
    private int Ready(Owner o, uint type)
    {
        if (o.Fd >= 0)
        {
            if (type == WriteLock && o.Access == O_RDONLY) return Upgrade(o);
            if (type == ReadLock && o.Access == O_WRONLY) return Errno.EBADF;
            return Status.Ok;
        }
        int fd = OpenFor(o.Node, type, out o.Access);
        if (fd < 0) return -fd;
        o.Fd = fd;
        return Status.Ok;
    }

    private int Upgrade(Owner o)
    {
        int fd = Opened(_open(o.Node, O_RDWR));
        if (fd < 0) return -fd;
        foreach (var r in o.Held.All)
        {
            int err = Setlk(fd, r.Type, r.Start, r.End);
            if (err != 0)
            {
                Close(fd);
                return err;
            }
        }
        Close(o.Fd);
        o.Fd = fd;
        o.Access = O_RDWR;
        return Status.Ok;
    }

    /// <summary>A descriptor for a lock of <paramref name="type"/>: read-only for reading, read-write (or, if that
    /// is refused, write-only) for writing. A descriptor or -errno.</summary>
    private int OpenFor(ulong node, uint type, out int access)
    {
        access = type == WriteLock ? O_RDWR : O_RDONLY;
        int fd = _open(node, access);
        if (fd < 0 && type == WriteLock && (fd = _open(node, O_WRONLY)) >= 0) access = O_WRONLY;
        return Opened(fd);
    }

    /// <summary>Out of descriptors is, for the caller, a full lock table (ENOLCK).</summary>
    private static int Opened(int fd) => fd == -Errno.EMFILE || fd == -Errno.ENFILE ? -Errno.ENOLCK : fd;

    /// <summary>The owner of this mount, other than <paramref name="except"/>, whose lock the kernel reported.</summary>
    private Owner? HolderOf(ulong node, ulong except, in Conflict c)
    {
        Owner? near = null;
        if (!_owners.TryGetValue(node, out var list)) return null;
        foreach (var o in list)
        {
            if (o.Id == except) continue;
            if (o.Held.HoldsExactly(c.Start, c.End, c.Type)) return o;
            if (near is null && o.Held.HoldsAny(c.Start, c.End, c.Type)) near = o;
        }
        return near;
    }

    /// <summary>Would <paramref name="me"/> waiting for this range close a cycle of owners waiting for each other?</summary>
    private bool WouldDeadlock(Owner me, long start, long end, uint type, out int err)
    {
        err = Errno.EDEADLK;
        var blocker = BlockerOf(me, start, end, type);
        for (int step = 0; step < MaxDeadlockSteps && blocker is not null; step++)
        {
            if (blocker.Id == me.Id) return true;
            var w = _waiters.Find(x => x.Owner is { } o && o.Id == blocker.Id);
            if (w is null) break;
            blocker = BlockerOf(w.Owner!, w.Start, w.End, w.Type);
        }
        err = Errno.EAGAIN;
        return false;
    }

    private Owner? BlockerOf(Owner o, long start, long end, uint type)
    {
        if (o.Fd < 0 || Getlk(o.Fd, type, start, end, out var c) != 0 || c.Type == Unlock || c.Pid > 0) return null;
        return HolderOf(o.Node, o.Id, in c);
    }

    // ---------------------------------------------------------------- waiting

    /// <summary>Under the gate: add a waiter, and hear of its interrupt.</summary>
    private void Park(Waiter w)
    {
        _waiters.Add(w);
        Recount();
        if (_poller is null)
        {
            _poller = new Thread(Poll) { IsBackground = true, Name = "loopback-locks" };
            _poller.Start();
        }
        _kick.Set();
        // Never runs the callback inline (a pool thread does), so taking the gate there cannot deadlock.
        w.Reply.OnInterrupt(() => Interrupted(w));
    }

    /// <summary>Under the gate: take waiter <paramref name="i"/> out.</summary>
    private Waiter Unpark(int i)
    {
        var w = _waiters[i];
        _waiters.RemoveAt(i);
        if (w.Owner is { } o)
        {
            o.Waiting--;
            DropIfIdle(o);
        }
        Recount();
        return w;
    }

    private void Interrupted(Waiter w)
    {
        lock (_gate)
        {
            int i = _waiters.IndexOf(w);
            if (i < 0) return;   // granted meanwhile
            Unpark(i);
        }
        w.Reply.Error(Errno.EINTR);
    }

    /// <summary>Something changed through the mount: the poller retries now.</summary>
    private void Kick()
    {
        if (_waiters.Count > 0) _kick.Set();
    }

    private void Poll()
    {
        int delay = 1;
        var granted = new List<Waiter>();
        var failed = new List<(Waiter W, int Err)>();
        while (!_disposed)
        {
            bool kicked;
            try
            {
                kicked = _kick.WaitOne(_waiting > 0 ? delay : Timeout.Infinite);
                if (_disposed) return;
                lock (_gate)
                {
                    for (int i = 0; i < _waiters.Count; i++)
                    {
                        var w = _waiters[i];
                        int err = TryTake(w);
                        if (err == Errno.EAGAIN) continue;
                        Unpark(i--);
                        if (err == 0) granted.Add(w);
                        else failed.Add((w, err));
                    }
                }
                foreach (var w in granted) w.Reply.Ok();
                foreach (var (w, err) in failed) w.Reply.Error(err);
            }
            catch (Exception e)
            {
                Log.Error($"loopback locks: the waiter thread met {e.GetType().Name}: {e.Message}");
                kicked = false;
            }
            granted.Clear();
            failed.Clear();
            delay = kicked ? 1 : Math.Min(delay * 2, MaxPollMs);
        }
    }

    /// <summary>Under the gate: one non-blocking try for a waiter: 0, EAGAIN (still busy) or an errno.</summary>
    private int TryTake(Waiter w)
    {
        if (w.Owner is not { } o) return TryFlock(w.FlockFd, w.Type);
        int err = Ready(o, w.Type);
        if (err == 0 && (err = Setlk(o.Fd, w.Type, w.Start, w.End)) == 0) Took(o, w.Start, w.End, w.Type, w.Fh, w.Pid);
        return err;
    }

    private static void Answer(List<Waiter>? waiters, int errno)
    {
        if (waiters is null) return;
        foreach (var w in waiters) w.Reply.Error(errno);
    }

    // ---------------------------------------------------------------- syscalls

    /// <summary>The kernel's range (inclusive end, OFFSET_MAX for "to the end") as checked longs.</summary>
    private static bool RangeOf(in FuseLkIn lk, out long start, out long end)
    {
        start = (long)Math.Min(lk.Lk.Start, (ulong)OffsetMax);
        end = (long)Math.Min(lk.Lk.End, (ulong)OffsetMax);
        return lk.Lk.Start <= (ulong)OffsetMax && end >= start;
    }

    private static RecordLock LockArg(uint type, long start, long end) => new()
    {
        Type = (short)type, Whence = (short)SEEK_SET, Start = start, Len = end == OffsetMax ? 0 : end - start + 1,
    };

    private static unsafe int Setlk(int fd, uint type, long start, long end)
    {
        var lk = LockArg(type, start, end);
        // Safe: lk is a local, read by the kernel during the call.
        return FcntlLock(fd, F_OFD_SETLK, &lk) < 0 ? LastErrno() : Status.Ok;
    }

    private static unsafe int Getlk(int fd, uint type, long start, long end, out Conflict c)
    {
        var lk = LockArg(type, start, end);
        c = default;
        // Safe: lk is a local, written by the kernel during the call.
        if (FcntlLock(fd, F_OFD_GETLK, &lk) < 0) return LastErrno();
        c = new Conflict(lk.Start, lk.Len == 0 ? OffsetMax : lk.Start + lk.Len - 1, (uint)lk.Type, lk.Pid);
        return Status.Ok;
    }

    private static int TryFlock(int fd, uint type)
    {
        int op = type switch { ReadLock => LOCK_SH, WriteLock => LOCK_EX, _ => LOCK_UN };
        return Native.LoopSys.Flock(fd, op | LOCK_NB) < 0 ? LastErrno() : Status.Ok;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var list in _owners.Values)
                foreach (var o in list)
                    if (o.Fd >= 0) Close(o.Fd);
            _owners.Clear();
            _ownerCount = 0;
            _waiters.Clear();   // their session is gone: a reply would have nowhere to go
            Recount();
        }
        _kick.Set();
    }
}
