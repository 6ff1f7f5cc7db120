using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Uring;

namespace FastFuse.Transport.UringBatch;

/// <summary>
/// One io_uring loop on a /dev/fuse fd (the session's or its own clone): <c>depth</c> slots, each with a request
/// buffer and a reply buffer from the pinned pool, each keeping an IORING_OP_READ armed on the fd. A completed read
/// is a request: it is dispatched on this thread, its reply goes out as an IORING_OP_WRITEV linked to the slot's
/// next READ (IOSQE_IO_LINK: the read starts once the write is done), and every SQE prepared while draining a batch
/// of completions is submitted by the one io_uring_enter that also waits for the next batch.
/// <para>The *_FIXED opcodes (registered buffers) were tried: READ_FIXED and WRITE_FIXED fail with EINVAL on
/// /dev/fuse (kernel-facts.md), so the buffers are plain pinned memory; the fd itself is registered (fixed file).
/// Replies are copied into slot memory as they are built (no gather), because the write completes after the
/// handler has returned. There is no spin: a request reaches a ring by the kernel's task work, which needs an
/// interrupt (an IPI) to reach a thread that spins, and on this VM that cost as much as waking a sleeping one
/// (4 KiB reads, 1 client: 23–27k IOPS spinning 50 µs against 26–27k without). Two kinds of reply leave the ring and are written at once, counted in
/// <see cref="Stats.RingBypass"/>: INIT (the other workers clone their fds right after it, which the kernel refuses
/// until the reply is in) and spliced file data (loopback READ: file → pipe → /dev/fuse).</para>
/// </summary>
internal sealed unsafe partial class UringWorker : SlotOwner, IFdWorker
{
    private const ulong KindRead = 0, KindWrite = 1, EventTag = ulong.MaxValue;
    private const int Idle = 0, Reading = 1, Busy = 2, Writing = 3;

    private readonly FuseSession _session;
    internal readonly FuseChannel Channel;
    FuseChannel IFdWorker.Channel => Channel;
    private readonly BufferPool _pool;
    private readonly int _depth;
    private readonly WorkerStats _stats;
    private readonly NativeBuffer[] _requests, _replies;
    private readonly RequestSlot[] _slots;
    private readonly int[] _state;
    private readonly IoVec* _iov;          // one per slot, the WRITEV of its reply
    private readonly NativeBuffer _eventBuf = new(64, zero: true);
    private readonly HandOff _handOff;
    private Ring? _ring;
    private int _inFlight;                 // SQEs submitted whose completion has not been seen
    private bool _eventArmed;
    private SpliceSender? _splice;
    private LoopThread? _thread;

    public int Index { get; }


    public UringWorker(FuseSession session, FuseChannel channel, BufferPool pool, int index, int depth)
    {
        _session = session;
        Channel = channel;
        _pool = pool;
        Index = index;
        _depth = depth;
        _stats = session.Stats.NewWorker($"uring {index}");
        _requests = new NativeBuffer[depth];
        _replies = new NativeBuffer[depth];
        _slots = new RequestSlot[depth];
        _state = new int[depth];
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)depth, (nuint)sizeof(IoVec));
        _handOff = new HandOff(depth);
        for (int i = 0; i < depth; i++)
        {
            _requests[i] = pool.Rent();
            _replies[i] = pool.Rent();
            byte* reply = _replies[i].Pointer;
            byte* body = reply + FuseOutHeader.Size;
            // Header then body in one buffer, as on /dev/fuse, but without a gather list: lent memory is copied in.
            _slots[i] = new RequestSlot(session, this, i, _stats, (FuseOutHeader*)reply, body, body,
                _replies[i].Size - FuseOutHeader.Size, null, 0);
        }
    }

    /// <summary>Set up the ring on the calling thread's behalf; 0 or -errno (then nothing was submitted).</summary>
    public int Setup()
    {
        if (_handOff.EventFd < 0) return _handOff.EventFd;
        // Non-blocking: /dev/fuse blocks on O_NONBLOCK, not on io_uring's IOCB_NOWAIT. With several reads armed, a
        // request wakes every one of them and all but one must come back EAGAIN (io_uring then polls again) rather
        // than block this thread inside the ring's task work.
        int flags = Libc.Fcntl(Channel.Fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.Fcntl(Channel.Fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0) return -Libc.Errno;
        // Every slot has at most two SQEs outstanding (a write and its linked read), plus the eventfd read.
        int r = Ring.Create((uint)(2 * _depth + 2), 0, 0, out _ring);
        if (r != 0) return r;
        int fd = Channel.Fd;
        r = _ring!.RegisterFiles(new ReadOnlySpan<int>(&fd, 1));
        if (r != 0) return r;
        for (int i = 0; i < _depth; i++) ArmRead(i);
        return 0;
    }

    public void Start() => _thread = LoopThread.Start(Run, $"fuse-uring-worker-{Index}", _session.Host);

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    public bool Quiet => _inFlight == 0;

    public void Wake() => _handOff.Wake();

    private void ArmEvent()
    {
        var sqe = NextSqe();
        sqe->Opcode = IoUring.OpRead;
        sqe->Fd = _handOff.EventFd;
        // Safe: _eventBuf is native memory that outlives the ring (disposed after the thread has ended).
        sqe->Addr = (ulong)_eventBuf.Pointer;
        sqe->Len = 8;
        sqe->UserData = EventTag;
        _eventArmed = true;
        _inFlight++;
    }

    /// <summary>Arm slot <paramref name="i"/>'s READ (after a WRITEV just prepared, it is linked to it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ArmRead(int i)
    {
        var sqe = NextSqe();
        sqe->Opcode = IoUring.OpRead;
        sqe->Flags = IoUring.SqeFixedFile;
        sqe->Fd = 0;
        sqe->Addr = (ulong)_requests[i].Pointer;
        sqe->Len = (uint)_requests[i].Size;
        sqe->Off = ulong.MaxValue;             // -1: the file position (/dev/fuse has none)
        sqe->UserData = (ulong)i << 2 | KindRead;
        Volatile.Write(ref _state[i], Reading);
        _inFlight++;
    }

    /// <summary>Queue the WRITEV of slot <paramref name="i"/>'s reply (<paramref name="length"/> bytes from its
    /// header on), linked to the slot's next READ.</summary>
    private void PrepareWrite(int i, int length)
    {
        _iov[i] = new IoVec(_replies[i].Pointer, length);
        bool rearm = !_session.StopRequested;       // no read after the last reply
        var sqe = NextSqe();
        sqe->Opcode = IoUring.OpWritev;
        sqe->Flags = rearm ? (byte)(IoUring.SqeFixedFile | IoUring.SqeIoLink) : IoUring.SqeFixedFile;
        sqe->Fd = 0;
        sqe->Addr = (ulong)(_iov + i);
        sqe->Len = 1;
        sqe->Off = ulong.MaxValue;
        sqe->UserData = (ulong)i << 2 | KindWrite;
        Volatile.Write(ref _state[i], Writing);
        _inFlight++;
        if (rearm) ArmRead(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private IoUringSqe* NextSqe()
    {
        var sqe = _ring!.NextSqe();
        if (sqe == null) ThrowRingFull();
        return sqe;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRingFull() => throw new InvalidOperationException("uring transport: submission ring full (a slot has more than two SQEs in flight)");

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        if (_thread is { IsAlive: true } || !Quiet)
        {
            Log.Warn($"uring worker {Index}: {_inFlight} operations still in the kernel; its buffers are kept");
            return;
        }
        _splice?.Dispose();
        _handOff.Dispose();
        _eventBuf.Dispose();
        for (int i = 0; i < _depth; i++)
        {
            _pool.Return(_requests[i]);
            _pool.Return(_replies[i]);
        }
        NativeMemory.Free(_iov);
        _disposed = true;
    }
}
