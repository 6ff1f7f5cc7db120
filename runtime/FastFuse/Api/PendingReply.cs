using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Transport;

namespace FastFuse.Api;

/// <summary>
/// A reply that a handler finishes later, from any thread (<see cref="RequestContext.Defer"/>). It must be used
/// exactly once; a second use throws. One that is dropped without being used answers EIO when the garbage
/// collector finds it, so a forgotten reply cannot hang the caller for ever. The reply goes out through the
/// transport that read the request (a ring is only ever submitted to by its own thread).
/// </summary>
public sealed class PendingReply
{
    private readonly SlotOwner _owner;
    private readonly FuseSession _session;
    private readonly DeferredTarget _target;
    private int _used;

    internal PendingReply(SlotOwner owner, RequestSlot slot)
    {
        _owner = owner;
        _session = slot.Session;
        _target = new DeferredTarget(slot.Index, slot.Unique, slot.Epoch, slot.Opcode, slot.StartTicks);
        _session.Stats.PendingStarted();
    }

    /// <summary>A reply dropped without being used answers EIO here, so its caller does not wait for ever.</summary>
    ~PendingReply()
    {
        if (Volatile.Read(ref _used) == 0 && !_session.IsClosed)
        {
            Log.Warn($"a deferred {OpcodeInfo.Name(_target.Opcode)} reply (unique {_target.Unique}) was dropped unanswered: sent EIO");
            Error(Errno.EIO);
        }
    }

    /// <summary>The request id this reply answers.</summary>
    public ulong Unique => _target.Unique;
    /// <summary>True once the kernel has interrupted the request.</summary>
    public bool IsInterrupted => _session.Interrupts.IsInterrupted(_target.Unique);

    /// <summary>Call <paramref name="callback"/> (once, on a pool thread) when the kernel interrupts this request
    /// (the caller got a signal): a filesystem that waits on something answers EINTR from it. At once if the
    /// interrupt came already; never after the reply was sent.</summary>
    public void OnInterrupt(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (Volatile.Read(ref _used) != 0) return;
        _session.Interrupts.OnInterrupt(_target.Unique, callback);
        if (Volatile.Read(ref _used) != 0) _session.Interrupts.CompleteDeferred(_target.Unique);   // answered meanwhile
    }

    /// <summary>Fail the request with a positive errno.</summary>
    public void Error(int errno) => Send(errno, default);

    /// <summary>Succeed with no payload (e.g. UNLINK, RELEASE).</summary>
    public void Ok() => Send(0, default);

    /// <summary>Succeed with a fixed-size reply struct (entry, attr, open…).</summary>
    public void Reply<T>(in T payload) where T : unmanaged =>
        Send(0, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in payload)));

    /// <summary>Succeed with raw bytes (READ data, READLINK target, packed dirents).</summary>
    public void Data(ReadOnlySpan<byte> payload) => Send(0, payload);

    private void Send(int errno, ReadOnlySpan<byte> payload)
    {
        if (Interlocked.Exchange(ref _used, 1) != 0)
            throw new InvalidOperationException($"reply to unique {_target.Unique} was already sent");
        GC.SuppressFinalize(this);
        _session.Stats.PendingFinished();
        _session.Interrupts.CompleteDeferred(_target.Unique);
        if (errno < 0 || errno >= 512)
        {
            Log.Error($"deferred {OpcodeInfo.Name(_target.Opcode)} reply: {errno} is not an errno; answered EIO");
            errno = Errno.EIO;
        }
        _owner.SendDeferred(in _target, errno, errno == 0 ? payload : default);
    }
}
