using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

/// <summary>
/// One /dev/fuse request loop: read(2) a request into the slot's pinned request buffer, dispatch it, writev(2) the
/// reply (or splice it, for file data) before the next read. It owns its channel (the session's fd or its own
/// FUSE_DEV_IOC_CLONE clone: a reply must go to the fd that read its request), one slot and a splice pipe;
/// nothing is shared with other workers on the hot path. Because the reply is written while the handler's
/// memory is still valid, the slot gathers: lent memory goes out without a copy.
/// </summary>
internal sealed unsafe partial class DevFuseWorker : SlotOwner, IFdWorker
{
    internal const int IovCapacity = 1024;       // IOV_MAX

    internal readonly FuseSession Session;
    internal readonly FuseChannel Channel;
    FuseChannel IFdWorker.Channel => Channel;
    internal readonly RequestSlot Slot;
    private readonly NativeBuffer _request;
    private readonly NativeBuffer _reply;
    private readonly BufferPool _pool;
    // Safe: _iov is a native array of IovCapacity entries owned by this worker until Dispose.
    private IoVec* _iov;
    private LoopThread? _thread;

    internal DevFuseWorker(FuseSession session, FuseChannel channel, BufferPool pool, int index)
    {
        Session = session;
        Channel = channel;
        Index = index;
        _pool = pool;
        _request = pool.Rent();
        _reply = pool.Rent();
        _iov = (IoVec*)NativeMemory.Alloc(IovCapacity, (nuint)sizeof(IoVec));
        // The reply buffer: the out header, then the body. Fixed-size replies and data share the body, so a
        // header and its struct leave in one iovec.
        byte* body = _reply.Pointer + FuseOutHeader.Size;
        Slot = new RequestSlot(session, this, 0, session.Stats.NewWorker($"worker {index}"), (FuseOutHeader*)_reply.Pointer,
            body, body, _reply.Size - FuseOutHeader.Size, _iov, IovCapacity);
        if (channel is DevFuseChannel dev) dev.Counters = Slot.Stats.Syscalls;
    }

    public int Index { get; }

    public void Start() => _thread = LoopThread.Start(Run, $"fuse-worker-{Index}", Session.Host);

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>A blocking read(2) ends by itself when the connection goes: nothing to wake.</summary>
    public void Wake() { }

    private void Run()
    {
        while (true)
        {
            int n = Channel.Read(_request.Pointer, _request.Size);
            if (n < 0)
            {
                int e = -n;
                if (e == Errno.EINTR || e == Errno.EAGAIN) continue;
                if (e == Errno.ENOENT) continue;     // the request was interrupted before we could read it
                if (e != Errno.ENODEV && e != Errno.ECONNABORTED)
                    Log.Error($"worker {Index}: read /dev/fuse: {Errno.Name(e)}; stopping");
                Session.OnConnectionGone(e);
                break;
            }
            Process(_request.Pointer, n);
            Slot.Stats.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread();
            if (Session.StopRequested) break;
        }
        Session.OnLoopExit();
    }

    /// <summary>Handle one request held in <paramref name="buffer"/> (the worker's own buffer, or a test's).</summary>
    internal void Process(byte* buffer, int length)
    {
        Slot.SetContiguous(buffer, length);
        Dispatcher.Dispatch(Slot);
    }

    /// <summary>Test and fuzzing entry: copy <paramref name="request"/> into the request buffer and handle it.</summary>
    internal void Process(ReadOnlySpan<byte> request)
    {
        int n = Math.Min(request.Length, _request.Size);
        request[..n].CopyTo(new Span<byte>(_request.Pointer, n));
        Process(_request.Pointer, n);
    }

    /// <summary>Write the slot's reply: header and body in one writev, or a splice for a file range.</summary>
    internal override void Send(RequestSlot s)
    {
        int total = s.FillHeader(s.Status);
        ReplyGate.Trace(s.Unique, s.Status, total - FuseOutHeader.Size);
        if (!Session.Gate.IsCurrent(s.Epoch)) return;
        IoVec* iov = s.Iov;
        int count;
        switch (s.Body)
        {
            case ReplyBody.Inline when s.BodyPtr == (byte*)(s.Out + 1):
                iov[0] = new IoVec(s.Out, total);
                count = 1;
                break;
            case ReplyBody.Inline:
                iov[0] = new IoVec(s.Out, FuseOutHeader.Size);
                iov[1] = new IoVec(s.BodyPtr, s.BodyLength);
                count = 2;
                break;
            case ReplyBody.Segments:
                iov[0] = new IoVec(s.Out, FuseOutHeader.Size);
                count = s.Segments + 1;
                break;
            case ReplyBody.File:
                SendFile(s);
                return;
            default:
                iov[0] = new IoVec(s.Out, FuseOutHeader.Size);
                count = 1;
                break;
        }
        int r = Channel.WriteV(iov, count);
        s.Stats.Syscalls.Writev++;
        if (r < 0) Session.Gate.Failed(-r, s.Opcode, s.Unique);
    }

    /// <summary>A deferred reply, from any thread: written at once on this worker's fd.</summary>
    internal override void SendDeferred(in DeferredTarget t, int errno, ReadOnlySpan<byte> payload) =>
        WriteDeferred(Session, Channel, in t, errno, payload);

    public void Dispose()
    {
        ClosePipe();
        if (_iov != null)
        {
            NativeMemory.Free(_iov);
            _iov = null;
            _pool.Return(_request);
            _pool.Return(_reply);
        }
    }
}
