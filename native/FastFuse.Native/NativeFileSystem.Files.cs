using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

// Open files: OPEN, READ, WRITE, RELEASE, FLUSH, FSYNC, FALLOCATE, LSEEK, COPY_FILE_RANGE, locks, BMAP, SYNCFS.
internal sealed unsafe partial class NativeFileSystem
{
    // ---- files --------------------------------------------------------------------------------------------

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        var f = _ops.Open;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseOpenOut* o = &open)
            {
                c.Req = Begin(in ctx, ReplyTarget.Open, o, sizeof(FuseOpenOut));
                return Done(c.Req, f(_ud, &c, nodeId, flags, o), in ctx);
            }
    }

    /// <summary>
    /// The C callback writes straight into the worker's pinned reply buffer (<see cref="DataReply.Reserve"/>), and
    /// the bytes it says it wrote are committed without a copy (<see cref="DataReply.Commit"/>).
    /// </summary>
    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        var f = _ops.Read;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        var space = data.Reserve(size);
        int room = space.Length;
        // Safe: space is the worker's pinned reply buffer, valid for this request; C writes at most room bytes.
        byte* buf = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(space));
        nuint len = 0;
        c.Req = Begin(in ctx, ReplyTarget.Data, buf, room, requested: (uint)data.Limit);
        int raw = f(_ud, &c, nodeId, fh, offset, (nuint)room, buf, &len);
        int s = NativeRequests.End(c.Req, raw, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            if (s != 0) return s;
            if (inline.Fd >= 0) data.AppendFile(inline.Fd, inline.FdOff, inline.Len);   // spliced by the worker
            else data.Commit(inline.Len);
            return 0;
        }
        int r = Result(raw);
        if (r != 0) return r;
        if (len > (nuint)room) return Errno.EIO; // the callback claims more than the room it was given: refuse to send it
        data.Commit((int)len);
        return 0;
    }

    public int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        var f = _ops.Write;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        uint w = 0;
        int r;
        c.Req = Begin(in ctx, ReplyTarget.Write, requested: (uint)data.Length);
        fixed (byte* d = data)
            r = f(_ud, &c, nodeId, fh, offset, d, (nuint)data.Length, writeFlags, &w);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            written = (uint)inline.Value;
            return s;
        }
        written = w;
        return Result(r);
    }

    public int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner)
    {
        var f = _ops.Release;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, flags, releaseFlags, lockOwner), in ctx);
    }

    public int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner)
    {
        var f = _ops.Flush;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, lockOwner), in ctx);
    }

    public int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync)
    {
        var f = _ops.Fsync;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, dataSync ? 1 : 0), in ctx);
    }

    public int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode)
    {
        var f = _ops.Fallocate;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, offset, length, mode), in ctx);
    }

    public int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        var f = _ops.Lseek;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        long res = 0;
        c.Req = Begin(in ctx, ReplyTarget.Lseek);
        int r = f(_ud, &c, nodeId, fh, offset, whence, &res);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            result = inline.Value;
            return s;
        }
        result = res;
        return Result(r);
    }

    public int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        var f = _ops.CopyFileRange;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        ulong n = 0;
        c.Req = Begin(in ctx, ReplyTarget.Write);
        int r = f(_ud, &c, nodeIn, fhIn, offsetIn, nodeOut, fhOut, offsetOut, length, flags, &n);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            copied = (ulong)inline.Value;
            return s;
        }
        copied = n;
        return Result(r);
    }

    public int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result)
    {
        var f = _ops.Getlk;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseLkIn* i = &lk)
        fixed (FuseLkOut* o = &result)
            {
                c.Req = Begin(in ctx, ReplyTarget.Lock, o, sizeof(FuseLkOut));
                return Done(c.Req, f(_ud, &c, nodeId, i, o), in ctx);
            }
    }

    public int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait)
    {
        var f = _ops.Setlk;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseLkIn* i = &lk)
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, i, wait ? 1 : 0), in ctx);
            }
    }

    public int Bmap(in RequestContext ctx, ulong nodeId, uint blockSize, ref ulong block)
    {
        var f = _ops.Bmap;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        ulong bl = block;
        c.Req = Begin(in ctx, ReplyTarget.Bmap);
        int r = f(_ud, &c, nodeId, blockSize, &bl);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        block = s != NativeRequests.NotReplied ? (ulong)inline.Value : bl;
        return s != NativeRequests.NotReplied ? s : Result(r);
    }

    public int Syncfs(in RequestContext ctx, ulong nodeId)
    {
        var f = _ops.Syncfs;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId), in ctx);
    }
}
