using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

/// <summary>
/// One request loop: owns its channel (its own cloned /dev/fuse fd), a pinned request buffer, a pinned reply
/// buffer and an iovec array. Nothing is shared with other workers on the hot path.
/// </summary>
public sealed unsafe partial class Worker : IDisposable
{
    internal const int HeaderSize = 16;          // fuse_out_header
    internal const int IovCapacity = 1024;       // IOV_MAX

    internal readonly FuseSession Session;
    internal readonly FuseChannel Channel;
    internal readonly WorkerStats Stats;
    private readonly NativeBuffer _request;
    private readonly NativeBuffer _reply;
    private readonly BufferPool _pool;
    // Safe: _iov is a native array of IovCapacity entries owned by this worker until Dispose.
    private IoVec* _iov;
    private Thread? _thread;

    // Per-request reply state, reset before each dispatch.
    internal int PayloadLength;
    internal int SegmentCount;
    /// <summary>The handler already wrote the reply (<see cref="DataReply.Send"/>).</summary>
    internal bool ReplySent;
    private RequestContext _current;
    private long _startTicks;

    internal Worker(FuseSession session, FuseChannel channel, BufferPool pool, int index)
    {
        Session = session;
        Channel = channel;
        Index = index;
        _pool = pool;
        _request = pool.Rent();
        _reply = pool.Rent();
        _iov = (IoVec*)NativeMemory.Alloc(IovCapacity, (nuint)sizeof(IoVec));
        Stats = session.Stats.NewWorker();
    }

    public int Index { get; }

    internal byte* ReplyBody => _reply.Pointer + HeaderSize;
    internal int ReplyCapacity => _reply.Size - HeaderSize;
    internal int RequestCapacity => _request.Size;
    internal byte* RequestBuffer => _request.Pointer;

    internal void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    internal bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    internal bool IsCurrentThread => _thread == Thread.CurrentThread;

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
                if (e == Errno.ENODEV || e == Errno.ECONNABORTED)
                {
                    Session.OnConnectionGone(this, e);
                    break;
                }
                Log.Error($"worker {Index}: read /dev/fuse: {Errno.Name(e)}; stopping");
                Session.OnConnectionGone(this, e);
                break;
            }
            Process(_request.Pointer, n);
            if (Session.StopRequested) break;
        }
        Session.OnWorkerExit(this);
    }

    /// <summary>Handle one request held in <paramref name="buffer"/> (the worker's own buffer, or a test's).</summary>
    internal void Process(byte* buffer, int length) => Dispatcher.Dispatch(this, buffer, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void BeginRequest()
    {
        PayloadLength = 0;
        SegmentCount = 0;
        FileFd = -1;
        ReplySent = false;
        _startTicks = Stopwatch.GetTimestamp();
    }

    internal long StartTicks => _startTicks;

    /// <summary>The payload area as a zeroed struct of type T, counted as the reply's payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref T Payload<T>() where T : unmanaged
    {
        // Safe: the reply buffer is pinned, page aligned and far larger than any reply struct.
        NativeMemory.Clear(ReplyBody, (nuint)sizeof(T));
        PayloadLength = sizeof(T);
        return ref Unsafe.AsRef<T>(ReplyBody);
    }

    /// <summary>Two consecutive structs (CREATE: entry_out then open_out).</summary>
    internal ref T2 PayloadSecond<T1, T2>() where T1 : unmanaged where T2 : unmanaged
    {
        NativeMemory.Clear(ReplyBody + sizeof(T1), (nuint)sizeof(T2));
        PayloadLength = sizeof(T1) + sizeof(T2);
        return ref Unsafe.AsRef<T2>(ReplyBody + sizeof(T1));
    }

    internal DataReply NewDataReply(int limit) =>
        new(this, ReplyBody, ReplyCapacity, _iov + 1, IovCapacity - 1, Session.Zeros.Pointer, Session.Zeros.Size,
            Math.Min(limit, Session.MaxReplyData));

    internal void UseSegments(int count) => SegmentCount = count;

    internal void SetCurrent(in RequestContext ctx) => _current = ctx;

    /// <summary>A data reply sent from inside its handler (see <see cref="DataReply.Send"/>).</summary>
    internal void SendDataNow(int fileFd, long fileOffset, int length, int segments)
    {
        if (fileFd >= 0) UseFile(fileFd, fileOffset, length);
        else SegmentCount = segments;
        if (segments == 0 && fileFd < 0) PayloadLength = 0;
        SendReply(in _current, 0);
        ReplySent = true;
        FileFd = -1;
        SegmentCount = 0;
    }

    /// <summary>Send the reply for the current request: header + payload in one writev.</summary>
    internal void SendReply(in RequestContext ctx, int status)
    {
        var header = (FuseOutHeader*)_reply.Pointer;
        int iovCount;
        int total;
        if (status != 0)
        {
            total = HeaderSize;
            header->Error = -status;
            _iov[0] = new IoVec(header, HeaderSize);
            iovCount = 1;
        }
        else if (FileFd >= 0)
        {
            SendFileReply(in ctx);
            return;
        }
        else if (SegmentCount > 0)
        {
            total = HeaderSize;
            for (int i = 1; i <= SegmentCount; i++) total += (int)_iov[i].Length;
            header->Error = 0;
            _iov[0] = new IoVec(header, HeaderSize);
            iovCount = SegmentCount + 1;
        }
        else
        {
            total = HeaderSize + PayloadLength;
            header->Error = 0;
            _iov[0] = new IoVec(header, total);
            iovCount = 1;
        }
        header->Len = (uint)total;
        header->Unique = ctx.Unique;
        if (Log.DebugEnabled) Dispatcher.LogReply(in ctx, status, total - HeaderSize);
        Session.Replies.Write(Channel, _iov, iovCount, in ctx);
    }

    internal PendingReply CreatePending(in RequestContext ctx)
    {
        SegmentCount = 0;
        return new PendingReply(Session, Channel, in ctx, _startTicks);
    }

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
