using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Uring;

namespace FastFuse.Transport.FuseUring;

// The queue's loop: submit what the last batch prepared and wait, in one io_uring_enter; then handle every
// completion: a request that arrived (dispatch it), or a command the kernel refused.
internal sealed unsafe partial class RingQueue
{
    private void Loop()
    {
        var ring = _ring!;
        while (true)
        {
            bool stopping = _session.StopRequested;
            if (stopping && _inKernel == 0) break;
            if (!_eventArmed && !stopping) ArmEvent();
            int r = ring.Submit(waitFor: 1);
            _stats.Syscalls.Enter = ring.Enters;
            if (r < 0 && r != -Errno.EBUSY && r != -Errno.EAGAIN)
            {
                Log.Error($"fuse-uring queue {Qid}: io_uring_enter failed: {Errno.Name(-r)}; the queue stops");
                break;
            }
            Drain(ring);
            _stats.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread();
        }
        ring.Dispose();
        _handOff.Dispose();
    }

    private void Drain(Ring ring)
    {
        uint n = ring.CqReady;
        for (uint k = 0; k < n; k++)
        {
            var c = ring.Cqe(k);
            ulong tag = c->UserData;
            int res = c->Res;
            if (tag == EventTag)
            {
                _eventArmed = false;
                continue;
            }
            int i = (int)tag;
            _inKernel--;
            if (res == 0) OnRequest(i);
            else OnCommandFailed(i, res);
        }
        ring.CqAdvance(n);
        CommitDeferred();
    }

    /// <summary>A request arrived in entry <paramref name="i"/>: hand it to the dispatcher on this thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnRequest(int i)
    {
        Volatile.Write(ref _state[i], InUserspace);
        var ent = EntInOut(i);
        _commitId[i] = ent->CommitId;
        var s = _slots[i];
        byte* h = (byte*)s.Out;
        uint size = ent->PayloadSz;
        if (size > (uint)s.DataCapacity) size = (uint)s.DataCapacity;   // never read past the buffer
        s.SetSplit((FuseInHeader*)h, h + FuseConstants.UringInOutHeaderSz, FuseConstants.UringOpInOutSz, s.Data, (int)size);
        Dispatcher.Dispatch(s);
        if (s.Sent) return;
        // Deferred: the entry stays with the request until its reply comes (CommitDeferred). A reply that came
        // already, from another thread while the handler ran, has moved the state on: nothing to do.
        Interlocked.CompareExchange(ref _state[i], Deferred, InUserspace);
        if (s.Status == Status.Deferred) OnDeferred();
        else
        {
            // An opcode that takes no reply reached a ring entry: give the entry back with an empty commit.
            s.Status = 0;
            s.Body = ReplyBody.None;
            Send(s);
        }
    }

    private void OnCommandFailed(int i, int res)
    {
        var s = _slots[i];
        bool commit = _lastCmd[i] == UringCmd.CommitAndFetch;
        Volatile.Write(ref _state[i], Idle);
        switch (-res)
        {
            case Errno.EAGAIN or Errno.EINTR:
                PrepareCommand(i, _lastCmd[i]);          // try the same command again
                return;
            case Errno.ENOTCONN or Errno.ECONNABORTED or Errno.ENODEV:
                if (commit) _session.Gate.Failed(-res, s.Opcode, s.Unique);   // the connection ended under it
                return;                                  // the entry is retired
            case Errno.ENOENT when commit:
                // The kernel no longer knows the request (interrupted, or forgotten): the reply is classified like
                // any refused write, and the entry, no longer attached to the ring, is registered anew.
                _session.Gate.Failed(Errno.ENOENT, s.Opcode, s.Unique);
                if (!_session.StopRequested) PrepareCommand(i, UringCmd.Register);
                return;
            default:
                if (commit) _session.Gate.Failed(-res, s.Opcode, s.Unique);
                else Log.Error($"fuse-uring queue {Qid}: REGISTER of entry {i} failed: {Errno.Name(-res)}");
                return;
        }
    }

    /// <summary>Write the slot's reply into its entry and queue the COMMIT_AND_FETCH (on this thread).</summary>
    internal override void Send(RequestSlot s)
    {
        int i = s.Index;
        int total = s.FillHeader(s.Status);
        int length = total - FuseOutHeader.Size;
        if (s.Body == ReplyBody.File)
        {
            length = SpliceSender.FileToBuffer(s.FileFd, s.FileOffset, s.Data, s.BodyLength, out int errno);
            _stats.Syscalls.Pread++;
            if (length < 0)
            {
                s.Body = ReplyBody.None;
                FillStatus(s, errno);
                length = 0;
            }
            else s.Out->Len = (uint)(FuseOutHeader.Size + length);
        }
        else if (s.Body == ReplyBody.Inline && s.BodyPtr != s.Data)
        {
            // Fixed-size structs are built apart from the payload buffer (the request's names live there while the
            // handler runs) and copied in now: at most RequestSlot.FixedCapacity bytes.
            Buffer.MemoryCopy(s.BodyPtr, s.Data, s.DataCapacity, length);
        }
        ReplyGate.Trace(s.Unique, s.Out->Error == 0 ? 0 : -s.Out->Error, length);
        if (!_session.Gate.IsCurrent(s.Epoch)) return;      // the session is ending: the entry is not re-armed
        EntInOut(i)->PayloadSz = (uint)length;
        PrepareCommand(i, UringCmd.CommitAndFetch);
    }

    private static void FillStatus(RequestSlot s, int errno)
    {
        s.Status = errno;
        s.FillHeader(errno);
    }

    /// <summary>A deferred reply from any thread: written into the entry, which nobody else touches until its
    /// commit, then handed to the queue thread through the ready stack and the eventfd.</summary>
    internal override void SendDeferred(in DeferredTarget t, int errno, ReadOnlySpan<byte> payload)
    {
        int i = t.SlotIndex;
        var s = _slots[i];
        ReplyGate.TraceDeferred(t.Unique, errno, payload.Length, t.Opcode);
        if (!_session.Gate.IsCurrent(t.Epoch)) return;
        if (payload.Length > s.DataCapacity)
        {
            Log.Error($"deferred {OpcodeInfo.Name(t.Opcode)} reply of {payload.Length} bytes exceeds the ring entry's {s.DataCapacity}; answered EIO");
            errno = Errno.EIO;
            payload = default;
        }
        payload.CopyTo(new Span<byte>(s.Data, payload.Length));
        s.Out->Len = (uint)(FuseOutHeader.Size + payload.Length);
        s.Out->Error = -errno;
        s.Out->Unique = t.Unique;
        EntInOut(i)->PayloadSz = (uint)payload.Length;
        Interlocked.Exchange(ref _state[i], Answered);
        Interlocked.Increment(ref _session.Stats.DeferredWrites);
        _handOff.Push(i);
    }

    /// <summary>Queue the commits of every deferred reply handed over since the last batch.</summary>
    private void CommitDeferred() => _handOff.Drain(this, static (q, i) =>
    {
        q._deferred--;
        q.PrepareCommand(i, UringCmd.CommitAndFetch);
    });
}
