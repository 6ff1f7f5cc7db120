using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Uring;

namespace FastFuse.Transport.UringBatch;

// The worker's loop: one io_uring_enter submits the replies and re-armed reads of the last batch and waits for
// the next completions; each completed READ is a request, dispatched here.
internal sealed unsafe partial class UringWorker
{
    private void Run()
    {
        var ring = _ring!;
        while (true)
        {
            bool stopping = _session.StopRequested;
            if (stopping && _inFlight == (_eventArmed ? 1 : 0)) break;
            if (!_eventArmed && !stopping) ArmEvent();
            if (stopping) _handOff.Wake();             // the armed eventfd read completes; nothing else may
            int r = ring.Submit(waitFor: 1);
            _stats.Syscalls.Enter = ring.Enters;
            if (r < 0 && r != -Errno.EBUSY && r != -Errno.EAGAIN)
            {
                Log.Error($"uring worker {Index}: io_uring_enter failed: {Errno.Name(-r)}; stopping");
                _session.OnConnectionGone(-r);
                break;
            }
            Drain(ring);
            _stats.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread();
        }
        // Closing the ring cancels what is left (the eventfd read); nothing of ours is in the kernel any more.
        ring.Dispose();
        _inFlight = 0;
        _session.OnLoopExit();
    }

    private void Drain(Ring ring)
    {
        uint n = ring.CqReady;
        for (uint k = 0; k < n; k++)
        {
            var c = ring.Cqe(k);
            ulong tag = c->UserData;
            int res = c->Res;
            _inFlight--;
            if (tag == EventTag)
            {
                _eventArmed = false;
                continue;
            }
            int i = (int)(tag >> 2);
            if ((tag & 3) == KindWrite)
            {
                if (res < 0) _session.Gate.Failed(-res, _slots[i].Opcode, _slots[i].Unique);
                if (Volatile.Read(ref _state[i]) == Writing) Volatile.Write(ref _state[i], Idle);
                continue;
            }
            if (res > 0) OnRequest(i, res);
            else OnReadFailed(i, -res);
        }
        ring.CqAdvance(n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnRequest(int i, int length)
    {
        var s = _slots[i];
        Volatile.Write(ref _state[i], Busy);
        s.SetContiguous(_requests[i].Pointer, length);
        Dispatcher.Dispatch(s);
        if (s.Sent) return;                           // Send queued the reply and the next read
        // Deferred: the reply will be written straight to this worker's fd (SendDeferred), so the slot reads the
        // next request at once. Keeping it with the request would let a few long waits (SETLKW, a network
        // filesystem's slow call) take every slot of every worker and stop the mount.
        if (!_session.StopRequested) ArmRead(i);      // no reply (FORGET, INTERRUPT…): read the next request
        else Volatile.Write(ref _state[i], Idle);
    }

    private void OnReadFailed(int i, int errno)
    {
        Volatile.Write(ref _state[i], Idle);
        switch (errno)
        {
            case 0:                                   // end of file: cannot happen on /dev/fuse
            case Errno.EINTR or Errno.EAGAIN or Errno.ECANCELED:
            case Errno.ENOENT:                        // the request was interrupted before we could read it
                if (!_session.StopRequested) ArmRead(i);
                return;
            case Errno.ENODEV or Errno.ECONNABORTED:
                _session.OnConnectionGone(errno);
                return;
            default:
                Log.Error($"uring worker {Index}: read /dev/fuse: {Errno.Name(errno)}; stopping");
                _session.OnConnectionGone(errno);
                return;
        }
    }

    /// <summary>The finished reply of slot <paramref name="s"/> (this thread): queue its WRITEV and the next READ.</summary>
    internal override void Send(RequestSlot s)
    {
        int total = s.FillHeader(s.Status);
        ReplyGate.Trace(s.Unique, s.Status, total - FuseOutHeader.Size);
        if (!_session.Gate.IsCurrent(s.Epoch))
        {
            if (!_session.StopRequested) ArmRead(s.Index);
            return;
        }
        if (s.Body == ReplyBody.File || s.Opcode == Opcode.Init)
        {
            WriteNow(s);
            return;
        }
        // The reply is contiguous from the header on (fixed structs and data both live after it in the reply buffer).
        PrepareWrite(s.Index, total);
    }

    /// <summary>Write a reply outside the ring, at once: INIT (clones are made right after it) and spliced file data.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteNow(RequestSlot s)
    {
        Interlocked.Increment(ref _session.Stats.RingBypass);
        if (s.Body == ReplyBody.File)
        {
            _splice ??= new SpliceSender(_session, $"uring worker {Index}");
            var result = _splice.TrySend(s, Channel.Fd, out int moved);
            if (result == SpliceResult.NotUsed)
            {
                Interlocked.Increment(ref _session.Stats.SpliceFallbacks);
                moved = SpliceSender.FileToBuffer(s.FileFd, s.FileOffset, s.Data, s.BodyLength, out int errno);
                _stats.Syscalls.Pread++;
                if (moved < 0)
                {
                    s.Body = ReplyBody.None;
                    s.FillHeader(errno);
                    moved = 0;
                }
            }
            if (result != SpliceResult.Sent)
            {
                if (s.Body == ReplyBody.File) s.Out->Len = (uint)(FuseOutHeader.Size + moved);
                PrepareWrite(s.Index, (int)s.Out->Len);
                return;
            }
        }
        else
        {
            var iov = new Interop.IoVec(s.Out, (int)s.Out->Len);
            int r = Channel.WriteV(&iov, 1);
            _stats.Syscalls.Writev++;
            if (r < 0) _session.Gate.Failed(-r, s.Opcode, s.Unique);
        }
        if (!_session.StopRequested) ArmRead(s.Index);
    }

    /// <summary>A deferred reply from any thread: written at once on this worker's fd (its slot went on to read
    /// other requests). One writev outside the ring, as on /dev/fuse.</summary>
    internal override void SendDeferred(in DeferredTarget t, int errno, ReadOnlySpan<byte> payload) =>
        WriteDeferred(_session, Channel, in t, errno, payload);
}
