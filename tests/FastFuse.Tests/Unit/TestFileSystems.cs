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

/// <summary>copy_file_range that reports more than 4 GiB copied, and a TMPFILE/STATX recorder: what the rows decode.</summary>
internal sealed class WideOpsFs : IRawFileSystem
{
    public ulong Copied = 5UL << 30;
    public (ulong Parent, uint Mode, int Flags, uint Umask)? TmpfileCall;
    public (ulong Node, ulong? Fh, uint Flags, uint Mask)? StatxCall;

    public int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = Math.Min(Copied, length);
        return Status.Ok;
    }

    public int Tmpfile(in RequestContext ctx, ulong parent, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        TmpfileCall = (parent, mode, flags, umask);
        entry.Nodeid = 9;
        entry.Attr.Ino = 9;
        entry.Attr.Mode = 0x8180;
        open.Fh = 77;
        return Status.Ok;
    }

    public int Statx(in RequestContext ctx, ulong nodeId, ulong? fh, uint flags, uint mask, ref FuseStatxOut statx)
    {
        StatxCall = (nodeId, fh, flags, mask);
        statx.AttrValid = 3;
        statx.Stat.Mask = mask;
        statx.Stat.Btime.TvSec = 1234;
        return Status.Ok;
    }
}
