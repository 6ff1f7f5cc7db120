using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Uring;

namespace FastFuse.Transport.FuseUring;

/// <summary>
/// One fuse-uring queue (one per possible CPU): a thread pinned to its CPU, its own io_uring, and
/// <c>depth</c> ring entries. Each entry is a request slot whose header buffer (fuse_uring_req_header: in/out header,
/// op struct, ent_in_out) and payload buffer stay registered with the kernel for the life of the connection.
/// <para>The loop: REGISTER every entry once; then each completion is a request that arrived in an entry. It is
/// dispatched on this thread, its reply written into the entry's buffers, and a COMMIT_AND_FETCH SQE prepared;
/// all SQEs prepared while draining a batch of completions go to the kernel in the single io_uring_enter that also
/// waits for the next batch. Deferred replies from other threads are written into their entry, pushed onto a
/// lock-free stack and the thread is woken through an eventfd read armed in the ring: only this thread ever
/// submits to the ring.</para>
/// </summary>
internal sealed unsafe partial class RingQueue : SlotOwner
{
    private const ulong EventTag = ulong.MaxValue;
    /// <summary>Per entry: header (288 bytes) at 0, the fixed reply area at 512, 512 bytes each.</summary>
    private const int EntryStride = 1024, FixedOffset = 512;

    private const int Idle = 0, InKernel = 1, InUserspace = 2, Deferred = 3, Answered = 4;

    private readonly FuseSession _session;
    private readonly int _fd;            // the session's /dev/fuse fd, registered as fixed file 0
    private readonly int _depth;
    /// <summary>Entries this queue may grow to (see <see cref="OnDeferred"/>); its arrays and header block have room for all.</summary>
    private readonly int _max;
    /// <summary>Entries created and registered so far (loop thread only after setup).</summary>
    private int _registered;
    /// <summary>Entries held by deferred requests (from the handler's return to the commit of its reply); loop
    /// thread only.</summary>
    private int _deferred;
    private readonly WorkerStats _stats;
    private readonly NativeBuffer _headers;
    private readonly NativeBuffer[] _payloads;
    private readonly RequestSlot[] _slots;
    private readonly int[] _state;           // EntState; Interlocked where a deferring thread races the loop
    private readonly UringCmd[] _lastCmd;
    private readonly ulong[] _commitId;
    private readonly IoVec* _iovs;       // 2 per entry, for REGISTER
    private Ring? _ring;
    private HandOff _handOff = null!;
    private int _inKernel;
    private bool _eventArmed;
    private Thread? _thread;


    public int Qid { get; }
    /// <summary>Set once the thread has set up its ring and registered its entries (or failed to).</summary>
    public readonly ManualResetEventSlim Ready = new(false);
    /// <summary>0 when the queue runs, else the -errno that stopped its setup.</summary>
    public int SetupError { get; private set; }
    public string? SetupWhat { get; private set; }

    public RingQueue(FuseSession session, int qid, int depth, int fd)
    {
        _session = session;
        Qid = qid;
        _depth = depth;
        _fd = fd;
        _stats = session.Stats.NewWorker($"queue {qid}");
        // Each deferred request keeps its entry until its reply (the commit must go through it), so a queue of a fixed
        // depth would stop serving its CPU once that many requests wait (SETLKW waiters, a network filesystem's
        // slow calls), the unlocking caller's request included. The queue keeps `depth` entries free for new
        // requests, registering more as deferred ones hold theirs, up to this bound.
        _max = Math.Max(depth, Math.Min(depth + MaxSpareEntries, 4096));
        // The entries' header blocks, then 8 bytes for the eventfd counter the ring reads into.
        _headers = new NativeBuffer(_max * EntryStride + 64, zero: true);
        _payloads = new NativeBuffer[_max];
        _slots = new RequestSlot[_max];
        _state = new int[_max];
        _lastCmd = new UringCmd[_max];
        _commitId = new ulong[_max];
        _iovs = (IoVec*)NativeMemory.AllocZeroed((nuint)(2 * _max), (nuint)sizeof(IoVec));
        for (int i = 0; i < depth; i++) CreateEntry(i);
        _registered = depth;
    }

    /// <summary>Deferred requests a queue can hold beyond its depth (payload buffers are rented only when used).</summary>
    private const int MaxSpareEntries = 120;

    /// <summary>Entry <paramref name="i"/>'s payload buffer, slot and REGISTER iovecs.</summary>
    private void CreateEntry(int i)
    {
        _payloads[i] = _session.Pool.Rent();
        byte* h = _headers.Pointer + i * EntryStride;
        // The out header goes where the in header came (in_out); replies leave from the payload buffer.
        _slots[i] = new RequestSlot(_session, this, i, _stats, (FuseOutHeader*)h, h + FixedOffset,
            _payloads[i].Pointer, _payloads[i].Size, null, 0, payloadInData: true);
        _iovs[2 * i] = new IoVec(h, FuseUringReqHeader.Size);
        _iovs[2 * i + 1] = new IoVec(_payloads[i].Pointer, _payloads[i].Size);
    }

    /// <summary>A request was deferred (loop thread): when fewer than `depth` entries are left for new requests,
    /// register one more (submitted with the batch). Entries are never taken back: the kernel has no unregister.</summary>
    private void OnDeferred()
    {
        _deferred++;
        if (_registered - _deferred >= _depth || _registered >= _max || _session.StopRequested) return;
        int i = _registered++;
        CreateEntry(i);
        PrepareCommand(i, UringCmd.Register);
    }

    private FuseUringEntInOut* EntInOut(int i) =>
        (FuseUringEntInOut*)(_headers.Pointer + i * EntryStride + FuseConstants.UringInOutHeaderSz + FuseConstants.UringOpInOutSz);

    public void Start(bool pin)
    {
        _thread = new Thread(() => Run(pin)) { IsBackground = true, Name = $"fuse-ring-{Qid}" };
        _thread.UnsafeStart();
    }

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>True when no entry is still registered with the kernel: its buffers may be freed.</summary>
    public bool Quiet => Volatile.Read(ref _inKernel) == 0;

    /// <summary>Wake the thread (stop, or deferred replies to commit). Any thread.</summary>
    public void Wake() => _handOff?.Wake();

    private void Run(bool pin)
    {
        if (pin)
        {
            int e = UringSys.PinCurrentThread(Qid);
            if (e != 0) Log.Warn($"fuse-uring queue {Qid}: could not pin its thread to CPU {Qid} ({Errno.Name(-e)})");
        }
        int err = Setup();
        if (err != 0)
        {
            // Closing the ring cancels whatever it had registered; entries it did register keep their buffers (Quiet).
            _ring?.Dispose();
            _handOff?.Dispose();
            SetupError = err;
            Ready.Set();
            _session.OnLoopExit();
            return;
        }
        Ready.Set();
        Loop();
        _session.OnLoopExit();
    }

    private int Setup()
    {
        // SQ: one SQE per entry plus the eventfd read; each entry has at most one SQE outstanding, so neither
        // ring can fill up. CQ twice that (the kernel's default) for headroom.
        uint entries = (uint)_max + 2;
        // Plain SQE128: SINGLE_ISSUER|DEFER_TASKRUN and COOP_TASKRUN|TASKRUN_FLAG were measured no faster (4 KiB reads at
        // 4 client threads: 124k IOPS with DEFER_TASKRUN against 146–164k without; perf notes of issue 8).
        int r = Ring.Create(entries, IoUring.SetupSqe128, 0, out _ring);
        if (r != 0) { SetupWhat = "io_uring_setup"; return r; }
        int fdReg = _fd;
        r = _ring!.RegisterFiles(new ReadOnlySpan<int>(&fdReg, 1));
        if (r != 0) { SetupWhat = "io_uring_register(FILES)"; return r; }
        _handOff = new HandOff(_max);
        if (_handOff.EventFd < 0) { SetupWhat = "eventfd"; return _handOff.EventFd; }
        ArmEvent();
        for (int i = 0; i < _depth; i++) PrepareCommand(i, UringCmd.Register);
        r = _ring.Submit();
        if (r < 0) { SetupWhat = "io_uring_enter(REGISTER)"; return r; }
        // A refused REGISTER completes at once (a good one completes only when a request arrives).
        uint n = _ring.CqReady;
        for (uint k = 0; k < n; k++)
        {
            var c = _ring.Cqe(k);
            if (c->UserData != EventTag && c->Res < 0)
            {
                SetupWhat = "FUSE_IO_URING_CMD_REGISTER";
                return c->Res;
            }
        }
        return 0;
    }

    private void ArmEvent()
    {
        var sqe = _ring!.NextSqe();
        sqe->Opcode = IoUring.OpRead;
        sqe->Fd = _handOff.EventFd;
        // Safe: the counter lives in the native header block, which outlives the ring (freed only after Join).
        sqe->Addr = (ulong)(_headers.Pointer + _max * EntryStride);
        sqe->Len = 8;
        sqe->UserData = EventTag;
        _eventArmed = true;
    }

    /// <summary>Queue a REGISTER or COMMIT_AND_FETCH for entry <paramref name="i"/> (submitted with the batch).</summary>
    private void PrepareCommand(int i, UringCmd cmd)
    {
        var sqe = _ring!.NextSqe();
        if (sqe == null) ThrowRingFull();
        sqe->Opcode = IoUring.OpUringCmd;
        sqe->Flags = IoUring.SqeFixedFile;
        sqe->Fd = 0;
        sqe->CmdOp = (uint)cmd;
        sqe->UserData = (ulong)i;
        var req = (FuseUringCmdReq*)Ring.Cmd(sqe);
        req->Qid = (ushort)Qid;
        if (cmd == UringCmd.Register)
        {
            sqe->Addr = (ulong)(_iovs + 2 * i);
            sqe->Len = 2;
        }
        else req->CommitId = _commitId[i];
        _lastCmd[i] = cmd;
        Volatile.Write(ref _state[i], InKernel);
        _inKernel++;
    }

    /// <summary>One line about the queue's entries (diagnostics: counts by state, commands in the kernel).</summary>
    public string Describe()
    {
        var counts = new int[5];
        foreach (int st in _state) counts[Math.Clamp(st, 0, 4)]++;
        return $"queue {Qid}: in-kernel={_inKernel} idle={counts[Idle]} kernel={counts[InKernel]} userspace={counts[InUserspace]} " +
               $"deferred={counts[Deferred]} answered={counts[Answered]} event-armed={_eventArmed} sq-pending={_ring?.SqPending} cq-ready={_ring?.CqReady}";
    }

    /// <summary>After the thread has ended: give the buffers back, unless the kernel may still hold an entry (then
    /// they stay allocated: the kernel writes requests into registered buffers).</summary>
    public void Release()
    {
        if (_released) return;
        if (_thread is { IsAlive: true } || !Quiet)
        {
            Log.Warn($"fuse-uring queue {Qid}: {_inKernel} entries still registered; their buffers are kept");
            return;
        }
        for (int i = 0; i < _registered; i++)
        {
            if (_payloads[i] is { } b) _session.Pool.Return(b);
            _payloads[i] = null!;
        }
        _headers.Dispose();
        NativeMemory.Free(_iovs);
        _released = true;
    }

    private bool _released;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRingFull() => throw new InvalidOperationException("fuse-uring: submission ring full (an entry has two commands in flight)");
}
