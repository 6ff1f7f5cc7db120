using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Api;

/// <summary>
/// A reply that a handler finishes later, from any thread (<see cref="RequestContext.Defer"/>). It must be used
/// exactly once; a second use throws. One that is dropped without being used answers EIO when the garbage
/// collector finds it, so a forgotten reply cannot hang the caller for ever.
/// </summary>
public sealed class PendingReply
{
    private readonly FuseSession _session;
    private readonly Transport.FuseChannel _channel;
    private readonly ulong _unique;
    private readonly long _epoch;
    private readonly Opcode _opcode;
    private readonly long _startTicks;
    private int _used;

    internal PendingReply(FuseSession session, Transport.FuseChannel channel, in RequestContext ctx, long startTicks)
    {
        _session = session;
        _channel = channel;
        _unique = ctx.Unique;
        _epoch = ctx.Epoch;
        _opcode = ctx.Opcode;
        _startTicks = startTicks;
        session.Stats.PendingStarted();
    }

    ~PendingReply()
    {
        if (Volatile.Read(ref _used) == 0 && !_session.IsClosed)
        {
            Log.Warn($"a deferred {OpcodeInfo.Name(_opcode)} reply (unique {_unique}) was dropped unanswered: sent EIO");
            Error(Errno.EIO);
        }
    }

    /// <summary>The request id this reply answers.</summary>
    public ulong Unique => _unique;
    /// <summary>True once the kernel has interrupted the request.</summary>
    public bool IsInterrupted => _session.Interrupts.IsInterrupted(_unique);

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
            throw new InvalidOperationException($"reply to unique {_unique} was already sent");
        GC.SuppressFinalize(this);
        _session.Stats.PendingFinished();
        _session.Replies.SendDetached(_channel, _unique, _epoch, _opcode, errno, payload, _startTicks);
    }
}
