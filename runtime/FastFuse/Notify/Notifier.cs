using System.Collections.Concurrent;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Notify;

/// <summary>What the kernel's page cache held for a <see cref="Notifier.RetrieveAsync"/>: 0 and the bytes from
/// <see cref="Offset"/> (fewer than asked, or none, where the cache stops), or an errno and no data.</summary>
public sealed record RetrieveResult(int Errno, long Offset, byte[] Data);

/// <summary>
/// Notifications (FUSE_NOTIFY_*): messages from the filesystem to the kernel about its caches, written to the
/// session's /dev/fuse descriptor on every transport (fuse-uring too: the kernel takes them there). Each call
/// returns 0 when the kernel took the notification, or the errno it answered (ENOENT: it holds no such inode or
/// entry; ENOSYS: the protocol the kernel speaks predates the notification; ENOTCONN: before INIT or after the
/// session closed; ENODEV: the connection has ended).
/// <para>Thread safety: callable from any thread, from inside a handler or outside, also while the session
/// unmounts: a notification after the end is counted (<see cref="Stats.NotificationsDropped"/>) and never logged
/// as an error; the descriptor is never written once the session has been disposed.</para>
/// <para>Deadlocks to avoid (the kernel's rules, as in libfuse): inval_entry and delete take the parent directory's
/// lock, so do not send them from a handler of a request that holds it (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK,
/// LINK, UNLINK, RMDIR, RENAME on that parent; SETATTR, SETXATTR, REMOVEXATTR, READDIR of the child);
/// inval_inode and store wait for the inode's pages, so not from a READ or WRITE of the same inode.</para>
/// </summary>
public sealed unsafe class Notifier
{
    private const uint ExpireOnly = 1;              // FUSE_EXPIRE_ONLY (7.38)
    private const int ClosedBit = int.MinValue;

    private readonly FuseSession _session;
    /// <summary>Notifications being written, plus <see cref="ClosedBit"/> once closed. Interlocked: a writer
    /// counts itself in before it touches the descriptor, and Close waits for the count to drain.</summary>
    private int _users;
    private long _nextRetrieve;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<RetrieveResult>> _retrieves = new();

    internal Notifier(FuseSession session) => _session = session;

    /// <summary>FUSE_NOTIFY_INVAL_INODE: forget the cached attributes of <paramref name="nodeId"/> and, unless
    /// <paramref name="offset"/> is negative, its cached data from <paramref name="offset"/> for
    /// <paramref name="length"/> bytes (0 or less: to the end).</summary>
    public int InvalidateInode(ulong nodeId, long offset = 0, long length = 0)
    {
        var o = new FuseNotifyInvalInodeOut { Ino = nodeId, Off = offset, Len = length };
        return Send(NotifyCode.InvalInode, &o, sizeof(FuseNotifyInvalInodeOut), null, 0, 0);
    }

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: forget the cached lookup of <paramref name="name"/> in
    /// <paramref name="parent"/> (a positive or a negative entry). <paramref name="expireOnly"/> (protocol 7.38+)
    /// only marks it expired: it stays usable by a process that holds it, the next lookup asks again.</summary>
    public int InvalidateEntry(ulong parent, ReadOnlySpan<byte> name, bool expireOnly = false)
    {
        if (expireOnly && !Speaks(38)) return Errno.ENOSYS;
        var o = new FuseNotifyInvalEntryOut { Parent = parent, Namelen = (uint)name.Length, Flags = expireOnly ? ExpireOnly : 0 };
        return SendWithName(NotifyCode.InvalEntry, &o, sizeof(FuseNotifyInvalEntryOut), name);
    }

    /// <summary>FUSE_NOTIFY_DELETE: <paramref name="name"/> in <paramref name="parent"/>, which was
    /// <paramref name="child"/>, is gone: the kernel drops the entry and, if the child is its cached inode, marks
    /// it deleted (what a local unlink does).</summary>
    public int Delete(ulong parent, ulong child, ReadOnlySpan<byte> name)
    {
        var o = new FuseNotifyDeleteOut { Parent = parent, Child = child, Namelen = (uint)name.Length };
        return SendWithName(NotifyCode.Delete, &o, sizeof(FuseNotifyDeleteOut), name);
    }

    /// <summary>FUSE_NOTIFY_STORE: put <paramref name="data"/> into the kernel's page cache of
    /// <paramref name="nodeId"/> at <paramref name="offset"/> (the file grows if it ends past its size); later reads
    /// of that range are served without a READ.</summary>
    public int Store(ulong nodeId, long offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0) return Errno.EINVAL;
        var o = new FuseNotifyStoreOut { Nodeid = nodeId, Offset = (ulong)offset, Size = (uint)data.Length };
        fixed (byte* d = data)   // Safe: pinned for the write below, which does not keep the pointer.
            return Send(NotifyCode.Store, &o, FuseNotifyStoreOut.StructSize, d, data.Length, 0);
    }

    /// <summary>FUSE_NOTIFY_RETRIEVE: ask for what the page cache of <paramref name="nodeId"/> holds from
    /// <paramref name="offset"/>, up to <paramref name="size"/> bytes (the kernel stops at the first page it does
    /// not have, at the end of the file and at max_pages). The answer comes as a NOTIFY_REPLY request, which a
    /// worker reads: do not wait for the task on a worker thread with a single worker.</summary>
    public Task<RetrieveResult> RetrieveAsync(ulong nodeId, long offset, int size)
    {
        if (offset < 0 || size < 0) return Task.FromResult(new RetrieveResult(Errno.EINVAL, offset, Array.Empty<byte>()));
        ulong unique = (ulong)Interlocked.Increment(ref _nextRetrieve);
        var done = new TaskCompletionSource<RetrieveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _retrieves[unique] = done;
        var o = new FuseNotifyRetrieveOut { NotifyUnique = unique, Nodeid = nodeId, Offset = (ulong)offset, Size = (uint)size };
        int err = Send(NotifyCode.Retrieve, &o, FuseNotifyRetrieveOut.StructSize, null, 0, 0);
        // Refused (no such inode, connection gone): no reply will come.
        if (err != 0 && _retrieves.TryRemove(unique, out _)) done.TrySetResult(new RetrieveResult(err, offset, Array.Empty<byte>()));
        return done.Task;
    }

    /// <summary>FUSE_NOTIFY_POLL: wake the pollers of poll handle <paramref name="kh"/> (from a POLL request).</summary>
    public int PollWakeup(ulong kh)
    {
        var o = new FuseNotifyPollWakeupOut { Kh = kh };
        return Send(NotifyCode.Poll, &o, sizeof(FuseNotifyPollWakeupOut), null, 0, 0);
    }

    /// <summary>FUSE_NOTIFY_RESEND (7.40+): the kernel sends every request still waiting for a reply again
    /// (after a daemon lost its in-flight requests).</summary>
    public int Resend() => Speaks(40) ? Send(NotifyCode.Resend, null, 0, null, 0, 0) : Errno.ENOSYS;

    /// <summary>FUSE_NOTIFY_INC_EPOCH (7.44+): every cached entry of the connection becomes stale at once.</summary>
    public int IncrementEpoch() => Speaks(44) ? Send(NotifyCode.IncEpoch, null, 0, null, 0, 0) : Errno.ENOSYS;

    /// <summary>FUSE_NOTIFY_PRUNE (7.45; in the uapi header as of Linux 6.19, taken by 6.18): ask the kernel to drop
    /// the unused inodes of <paramref name="nodeIds"/> (they come back as FORGETs). A kernel without it answers
    /// EINVAL.</summary>
    public int Prune(ReadOnlySpan<ulong> nodeIds)
    {
        if (!Speaks(45)) return Errno.ENOSYS;
        var o = new FuseNotifyPruneOut { Count = (uint)nodeIds.Length };
        fixed (ulong* ids = nodeIds)   // Safe: pinned for the write below.
            return Send(NotifyCode.Prune, &o, FuseNotifyPruneOut.Size, ids, nodeIds.Length * sizeof(ulong), 0);
    }

    private bool Speaks(uint minor) => !_session.Initialized || _session.Connection.Minor >= minor;

    private int SendWithName(NotifyCode code, void* fixedPart, int fixedLength, ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Contains((byte)0)) return Errno.EINVAL;
        fixed (byte* n = name)   // Safe: pinned for the write; the kernel wants the name followed by a NUL.
            return Send(code, fixedPart, fixedLength, n, name.Length, 1);
    }

    /// <summary>One notification: header, fixed part, a variable part, and <paramref name="nul"/> NUL bytes.</summary>
    private int Send(NotifyCode code, void* a, int aLength, void* b, int bLength, int nul)
    {
        var stats = _session.Stats;
        if (!_session.Initialized && !_session.IsClosed) return Errno.ENOTCONN;   // nothing to notify before INIT
        if (!Enter())
        {
            Interlocked.Increment(ref stats.NotificationsDropped);
            return Errno.ENOTCONN;
        }
        try
        {
            var h = new FuseOutHeader { Len = (uint)(FuseOutHeader.Size + aLength + bLength + nul), Error = (int)code, Unique = 0 };
            byte zero = 0;
            IoVec* iov = stackalloc IoVec[4];
            int n = 0;
            iov[n++] = new IoVec(&h, FuseOutHeader.Size);
            if (aLength > 0) iov[n++] = new IoVec(a, aLength);
            if (bLength > 0) iov[n++] = new IoVec(b, bLength);
            if (nul > 0) iov[n++] = new IoVec(&zero, 1);
            // Safe: every iovec points at a local or at memory the caller pinned for this call.
            nint r = Libc.Writev(_session.ControlFd, iov, n);
            if (r >= 0)
            {
                Interlocked.Increment(ref stats.NotificationsSent);
                return 0;
            }
            int e = Libc.Errno;
            if (e is Errno.ENODEV or Errno.ENOTCONN or Errno.ECONNABORTED) Interlocked.Increment(ref stats.NotificationsDropped);
            else Interlocked.Increment(ref stats.NotificationsRefused);
            if (Log.DebugEnabled) Log.Debug($"notify {code}: {Errno.Name(e)}");
            return e;
        }
        finally
        {
            Interlocked.Decrement(ref _users);
        }
    }

    private bool Enter()
    {
        if (_session.IsClosed) return false;
        // Interlocked (full fence): the count is visible to Close before the descriptor is touched.
        if (Interlocked.Increment(ref _users) > 0) return true;
        Interlocked.Decrement(ref _users);   // closed under us
        return false;
    }

    /// <summary>The NOTIFY_REPLY that answers a retrieve (a request the kernel expects no reply to).</summary>
    internal void OnRetrieveReply(ulong unique, long offset, ReadOnlySpan<byte> data)
    {
        if (_retrieves.TryRemove(unique, out var done)) done.TrySetResult(new RetrieveResult(0, offset, data.ToArray()));
        else Interlocked.Increment(ref _session.Stats.ProtocolErrors);
    }

    /// <summary>The loops have ended: retrieves still waiting get ENOTCONN (no reply can come any more).</summary>
    internal void FailPending()
    {
        foreach (var unique in _retrieves.Keys)
            if (_retrieves.TryRemove(unique, out var done)) done.TrySetResult(new RetrieveResult(Errno.ENOTCONN, 0, Array.Empty<byte>()));
    }

    /// <summary>Before the descriptor is closed: no new writer gets in, and those in flight finish.</summary>
    internal void Close()
    {
        Interlocked.Or(ref _users, ClosedBit);
        var spin = new SpinWait();
        while ((Volatile.Read(ref _users) & ~ClosedBit) != 0) spin.SpinOnce();
        FailPending();
    }
}
