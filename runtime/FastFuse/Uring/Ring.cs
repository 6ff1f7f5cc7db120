using System.Runtime.CompilerServices;
using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Uring;

/// <summary>
/// One io_uring instance: set up with io_uring_setup(2), its submission ring, completion ring and SQE array
/// mapped into this process, driven with io_uring_enter(2). No liburing. This file is the only place that
/// touches ring memory.
/// <para>
/// Ownership: a ring is used by one thread only (its owner): SQEs are prepared, submitted and completions reaped
/// on that thread. Other threads hand work to the owner and wake it (an eventfd read armed in the ring); they never
/// touch the ring, so no lock is needed and the only concurrency is with the kernel.
/// </para>
/// <para>
/// Memory ordering with the kernel, which runs on other CPUs and reads/writes the shared indexes:
/// <list type="bullet">
/// <item>SQ tail — we write it with release (Volatile.Write) after filling the SQEs and the index array, so the
/// kernel, which reads the tail with acquire, sees complete entries.</item>
/// <item>SQ head — the kernel advances it with release once it has consumed entries; we read it with acquire
/// before reusing a slot, so the kernel has finished reading that SQE.</item>
/// <item>CQ tail — the kernel writes CQEs, then the tail with release; we read it with acquire before reading
/// the CQEs below it.</item>
/// <item>CQ head — we write it with release after we have read the CQEs, so the kernel does not overwrite an entry
/// we are still reading.</item>
/// <item>SQ flags (CQ overflow, task-run) — a relaxed read is enough: it only tells us to enter the kernel,
/// which then synchronises for real.</item>
/// </list>
/// On x86-64 acquire loads and release stores are plain moves; Volatile also keeps the JIT from reordering them.
/// </para>
/// </summary>
internal sealed unsafe class Ring : IDisposable
{
    private int _fd = -1;
    // Mappings (sq and cq share one when the kernel reports IORING_FEAT_SINGLE_MMAP).
    private byte* _sqMap, _cqMap, _sqes;
    private nuint _sqMapLen, _cqMapLen, _sqesLen;
    // Pointers into the mappings; valid from a successful Create until Dispose.
    private uint* _sqHead, _sqTail, _sqFlags, _sqArray, _cqHead, _cqTail, _cqOverflow;
    private byte* _cqes;
    private uint _sqMask, _cqMask;
    // Owner-thread state.
    private uint _sqeTail;      // SQEs handed out so far (published up to it on submit)
    private uint _cqHeadLocal;  // CQEs consumed so far

    public int Fd => _fd;
    public uint SqEntries { get; private set; }
    public uint CqEntries { get; private set; }
    public int SqeSize { get; private set; }
    public int CqeSize { get; private set; }
    public uint SetupFlags { get; private set; }
    public uint Features { get; private set; }
    /// <summary>io_uring_enter calls made (syscall accounting).</summary>
    public long Enters;
    /// <summary>io_uring_enter calls that returned EINTR and were retried.</summary>
    public long Interrupted;

    private Ring() { }

    /// <summary>
    /// Set up a ring with room for <paramref name="entries"/> SQEs and <paramref name="cqEntries"/> CQEs (0: the
    /// kernel's default of twice the SQ) and <paramref name="flags"/> (IORING_SETUP_*). Returns 0 or -errno:
    /// ENOSYS without io_uring, EPERM when io_uring is disabled (sysctl kernel.io_uring_disabled, seccomp), EINVAL
    /// for flags this kernel does not know.
    /// </summary>
    public static int Create(uint entries, uint flags, uint cqEntries, out Ring? ring)
    {
        ring = null;
        IoUringParams p = default;
        p.Flags = flags | (cqEntries != 0 ? IoUring.SetupCqSize : 0);
        p.CqEntries = cqEntries;
        // Safe: p lives on this stack frame for the call; the kernel fills in the offsets.
        int fd = UringSys.Setup(entries, &p);
        if (fd < 0) return fd;
        var r = new Ring { _fd = fd, SetupFlags = p.Flags, Features = p.Features };
        int e = r.Map(in p);
        if (e != 0)
        {
            r.Dispose();
            return e;
        }
        ring = r;
        return 0;
    }

    private int Map(in IoUringParams p)
    {
        SqEntries = p.SqEntries;
        CqEntries = p.CqEntries;
        SqeSize = (p.Flags & IoUring.SetupSqe128) != 0 ? 128 : 64;
        CqeSize = (p.Flags & IoUring.SetupCqe32) != 0 ? 32 : 16;
        _sqMapLen = p.SqOff.Array + p.SqEntries * sizeof(uint);
        _cqMapLen = p.CqOff.Cqes + p.CqEntries * (uint)CqeSize;
        bool single = (p.Features & IoUring.FeatSingleMmap) != 0;
        if (single) _sqMapLen = _cqMapLen = Math.Max(_sqMapLen, _cqMapLen);
        _sqMap = UringSys.Mmap(_fd, _sqMapLen, IoUring.OffSqRing, out int e);
        if (_sqMap == null) return -e;
        if (single) _cqMap = _sqMap;
        else
        {
            _cqMap = UringSys.Mmap(_fd, _cqMapLen, IoUring.OffCqRing, out e);
            if (_cqMap == null) return -e;
        }
        _sqesLen = p.SqEntries * (nuint)SqeSize;
        _sqes = UringSys.Mmap(_fd, _sqesLen, IoUring.OffSqes, out e);
        if (_sqes == null) return -e;

        // Every offset the kernel reported must lie inside what we mapped before anything is dereferenced.
        ref readonly var so = ref p.SqOff;
        ref readonly var co = ref p.CqOff;
        if (!Fits(so.Head, 4, _sqMapLen) || !Fits(so.Tail, 4, _sqMapLen) || !Fits(so.RingMask, 4, _sqMapLen) ||
            !Fits(so.RingEntries, 4, _sqMapLen) || !Fits(so.Flags, 4, _sqMapLen) || !Fits(so.Dropped, 4, _sqMapLen) ||
            !Fits(so.Array, p.SqEntries * 4, _sqMapLen) ||
            !Fits(co.Head, 4, _cqMapLen) || !Fits(co.Tail, 4, _cqMapLen) || !Fits(co.RingMask, 4, _cqMapLen) ||
            !Fits(co.RingEntries, 4, _cqMapLen) || !Fits(co.Overflow, 4, _cqMapLen) ||
            !Fits(co.Cqes, p.CqEntries * (uint)CqeSize, _cqMapLen))
            return -Errno.EINVAL;
        _sqHead = (uint*)(_sqMap + so.Head);
        _sqTail = (uint*)(_sqMap + so.Tail);
        _sqFlags = (uint*)(_sqMap + so.Flags);
        _sqArray = (uint*)(_sqMap + so.Array);
        _sqMask = *(uint*)(_sqMap + so.RingMask);
        _cqHead = (uint*)(_cqMap + co.Head);
        _cqTail = (uint*)(_cqMap + co.Tail);
        _cqOverflow = (uint*)(_cqMap + co.Overflow);
        _cqes = _cqMap + co.Cqes;
        _cqMask = *(uint*)(_cqMap + co.RingMask);
        if (*(uint*)(_sqMap + so.RingEntries) != SqEntries || *(uint*)(_cqMap + co.RingEntries) != CqEntries ||
            _sqMask != SqEntries - 1 || _cqMask != CqEntries - 1)
            return -Errno.EINVAL;
        // The index array maps ring positions to SQE slots; we always use slot i for position i.
        for (uint i = 0; i < SqEntries; i++) _sqArray[i] = i;
        _sqeTail = *_sqTail;
        _cqHeadLocal = *_cqHead;
        return 0;
    }

    private static bool Fits(uint offset, nuint width, nuint mapped) => offset + width <= mapped;

    // ---- submission ----------------------------------------------------------------------------------

    /// <summary>SQEs handed out and not yet consumed by the kernel.</summary>
    public uint SqPending => _sqeTail - Volatile.Read(ref *_sqHead);

    /// <summary>The next free SQE, zeroed, or null when the submission ring is full (submit first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IoUringSqe* NextSqe()
    {
        // Acquire: the kernel has finished reading every SQE below head (see the class comment).
        if (_sqeTail - Volatile.Read(ref *_sqHead) >= SqEntries) return null;
        var sqe = (IoUringSqe*)(_sqes + (nuint)((_sqeTail & _sqMask) * (uint)SqeSize));
        Unsafe.InitBlockUnaligned(sqe, 0, (uint)SqeSize);
        _sqeTail++;
        return sqe;
    }

    /// <summary>The command area of an SQE (80 bytes with SQE128).</summary>
    public static byte* Cmd(IoUringSqe* sqe) => (byte*)sqe + IoUringSqe.CmdOffset;

    /// <summary>
    /// Submit every SQE handed out and, with <paramref name="waitFor"/> &gt; 0, wait until that many completions are
    /// ready. Returns the number of SQEs the kernel consumed, or -errno: EAGAIN/EBUSY mean the kernel is short of
    /// resources or the CQ has overflowed: reap completions and submit again. A signal cuts a wait short (the
    /// kernel then reports only what it submitted, or EINTR): the wait is resumed here until the completions are
    /// there, so callers never see EINTR.
    /// </summary>
    public int Submit(uint waitFor = 0)
    {
        // Release: SQE contents are written before the kernel can see the new tail.
        Volatile.Write(ref *_sqTail, _sqeTail);
        int submitted = 0;
        bool flushOverflow = CqOverflowPending;
        while (true)
        {
            uint toSubmit = _sqeTail - Volatile.Read(ref *_sqHead);
            uint wait = CqReady >= waitFor ? 0 : waitFor;
            // GETEVENTS also moves completions the kernel held back (CQ overflow) into the ring, once per call.
            uint flags = wait > 0 || flushOverflow ? IoUring.EnterGetEvents : 0;
            flushOverflow = false;
            if (toSubmit == 0 && flags == 0) return submitted;
            int r = UringSys.Enter(_fd, toSubmit, wait, flags);
            Enters++;
            if (r == -Errno.EINTR)
            {
                Interrupted++;
                continue;
            }
            if (r < 0) return submitted > 0 ? submitted : r;
            submitted += r;
            if (_sqeTail == Volatile.Read(ref *_sqHead) && CqReady >= waitFor) return submitted;
        }
    }

    /// <summary>The kernel holds completions it could not post because the CQ was full (FEAT_NODROP keeps them);
    /// entering with GETEVENTS after reaping flushes them into the ring.</summary>
    public bool CqOverflowPending => (Volatile.Read(ref *_sqFlags) & IoUring.SqCqOverflow) != 0;

    /// <summary>Completions the kernel had to drop (only without FEAT_NODROP).</summary>
    public uint CqDropped => Volatile.Read(ref *_cqOverflow);

    // ---- completion ----------------------------------------------------------------------------------

    /// <summary>Completions ready to be read.</summary>
    public uint CqReady
    {
        // Acquire: the CQEs below tail are fully written.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref *_cqTail) - _cqHeadLocal;
    }

    /// <summary>The <paramref name="i"/>-th ready completion (0 = oldest); valid until <see cref="CqAdvance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IoUringCqe* Cqe(uint i) => (IoUringCqe*)(_cqes + (nuint)(((_cqHeadLocal + i) & _cqMask) * (uint)CqeSize));

    /// <summary>Mark <paramref name="n"/> completions consumed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CqAdvance(uint n)
    {
        _cqHeadLocal += n;
        // Release: we have finished reading those CQEs before the kernel may reuse their slots.
        Volatile.Write(ref *_cqHead, _cqHeadLocal);
    }

    /// <summary>Register fds for IOSQE_FIXED_FILE (index i = fds[i]). Returns 0 or -errno.</summary>
    public int RegisterFiles(ReadOnlySpan<int> fds)
    {
        fixed (int* p = fds) return UringSys.Register(_fd, IoUring.RegisterFiles, p, (uint)fds.Length);
    }

    public void Dispose()
    {
        if (_sqes != null) UringSys.Munmap(_sqes, _sqesLen);
        if (_cqMap != null && _cqMap != _sqMap) UringSys.Munmap(_cqMap, _cqMapLen);
        if (_sqMap != null) UringSys.Munmap(_sqMap, _sqMapLen);
        _sqes = _cqMap = _sqMap = null;
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.Close(fd);
        GC.SuppressFinalize(this);
    }

    ~Ring() => Dispose();
}
