using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Tests.Unit;

/// <summary>Getattr throws: the dispatcher must answer EIO and count it.</summary>
internal sealed class ThrowingFs : IRawFileSystem
{
    public int Calls;
    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        Calls++;
        throw new InvalidOperationException("boom from a test filesystem");
    }
}

/// <summary>Records what FORGET and BATCH_FORGET deliver.</summary>
internal sealed class ForgetRecorder : IRawFileSystem
{
    public readonly List<(ulong Node, ulong N)> Forgets = new();
    public int BatchCalls;

    public void Forget(ulong nodeId, ulong nlookup) => Forgets.Add((nodeId, nlookup));

    public void BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        BatchCalls++;
        foreach (var f in forgets) Forgets.Add((f.Nodeid, f.Nlookup));
    }
}

/// <summary>
/// Getattr that can defer its answer (keeping the request's context and its <see cref="PendingReply"/>), run a hook
/// while the request is in flight, and report whether the request was already interrupted when it started.
/// </summary>
internal sealed class DeferringFs : IRawFileSystem
{
    public bool Defer;
    public Action? DuringHandler;
    public PendingReply? Pending;
    public RequestContext Context;
    public bool SawInterrupted;

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        Context = ctx;
        SawInterrupted = ctx.IsInterrupted;
        DuringHandler?.Invoke();
        if (SawInterrupted) return Errno.EINTR;
        if (Defer)
        {
            Pending = ctx.Defer();
            return Status.Deferred;
        }
        attr.AttrValid = 7;
        attr.Attr.Ino = nodeId;
        attr.Attr.Mode = Linux.S_IFREG | 0x1A4;
        return Status.Ok;
    }
}

/// <summary>A handler that returns something that is not an errno.</summary>
internal sealed class BadStatusFs : IRawFileSystem
{
    public int Value;
    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr) => Value;
}
