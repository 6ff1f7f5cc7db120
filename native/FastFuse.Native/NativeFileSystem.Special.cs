using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

// The opcodes added to the table in 0.2: BATCH_FORGET, TMPFILE, STATX, POLL, IOCTL.
internal sealed unsafe partial class NativeFileSystem
{
    public void BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        var multi = _ops.ForgetMulti;
        if (multi != null)
        {
            fixed (FuseForgetOne* p = forgets) multi(_ud, (nuint)forgets.Length, p);
            return;
        }
        foreach (ref readonly var f in forgets) Forget(f.Nodeid, f.Nlookup);
    }

    public int Tmpfile(in RequestContext ctx, ulong parent, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        var f = _ops.Tmpfile;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx, umask);
        fixed (FuseEntryOut* e = &entry)
        fixed (FuseOpenOut* o = &open)
        {
            c.Req = Begin(in ctx, ReplyTarget.Create, e, sizeof(FuseEntryOut), o);
            return Done(c.Req, f(_ud, &c, parent, mode, flags, e, o), in ctx);
        }
    }

    public int Statx(in RequestContext ctx, ulong nodeId, ulong? fh, uint flags, uint mask, ref FuseStatxOut statx)
    {
        var f = _ops.Statx;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseStatxOut* x = &statx)
        {
            c.Req = Begin(in ctx, ReplyTarget.Statx, x, sizeof(FuseStatxOut));
            return Done(c.Req, f(_ud, &c, nodeId, fh.GetValueOrDefault(), fh.HasValue ? 1 : 0, flags, mask, x), in ctx);
        }
    }

    public int Poll(in RequestContext ctx, ulong nodeId, ulong fh, ulong kh, uint flags, uint events, ref FusePollOut result)
    {
        var f = _ops.Poll;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        uint revents = 0;
        c.Req = Begin(in ctx, ReplyTarget.Poll);
        int r = f(_ud, &c, nodeId, fh, kh, flags, events, &revents);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        result.Revents = s != NativeRequests.NotReplied ? (uint)inline.Value : revents;
        return s != NativeRequests.NotReplied ? s : Result(r);
    }

    /// <summary>The output room is the slot's reply memory after fuse_ioctl_out: an inline fastfuse_reply_ioctl
    /// copies into it as the callback's own writes do.</summary>
    public int Ioctl(in RequestContext ctx, ulong nodeId, ulong fh, uint flags, uint cmd, ulong arg, ReadOnlySpan<byte> input, Span<byte> output, out int result, out int written)
    {
        result = 0;
        written = 0;
        var f = _ops.Ioctl;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        int res = 0;
        nuint len = 0;
        int r;
        fixed (byte* i = input)
        fixed (byte* o = output)
        {
            c.Req = Begin(in ctx, ReplyTarget.Ioctl, o, output.Length, requested: (uint)output.Length);
            r = f(_ud, &c, nodeId, fh, flags, cmd, arg, i, (nuint)input.Length, o, (nuint)output.Length, &res, &len);
        }
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            result = (int)inline.Value;
            written = inline.Len;
            return s;
        }
        if ((r = Result(r)) != 0) return r;
        if (len > (nuint)output.Length || res < 0) return Errno.EIO;   // more than the room, or a negative result: the callback's bug
        result = res;
        written = (int)len;
        return 0;
    }
}
