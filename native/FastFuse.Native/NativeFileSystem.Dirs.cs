using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

// Extended attributes and directories.
internal sealed unsafe partial class NativeFileSystem
{
    // ---- extended attributes ------------------------------------------------------------------------------

    public int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        var f = _ops.Setxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (byte* v = value)
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, n, (nuint)name.Length, v, (nuint)value.Length, flags), in ctx);
            }
    }

    public int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        var f = _ops.Getxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (XattrReply* x = &value)
        {
            if (value.IsSizeProbe)
            {
                nuint need = 0;
                c.Req = Begin(in ctx, ReplyTarget.Xattr, x);
                int raw = f(_ud, &c, nodeId, n, (nuint)name.Length, null, 0, &need);
                return Probed(c.Req, raw, in ctx, ref value, need);
            }
            var room = value.Reserve((int)Math.Min(value.RequestedSize, int.MaxValue), out int err);
            if (err != 0) return err;
            nuint len = 0;
            c.Req = Begin(in ctx, ReplyTarget.Xattr, x, requested: value.RequestedSize);
            int raw2;
            fixed (byte* b = room)
                raw2 = f(_ud, &c, nodeId, n, (nuint)name.Length, b, (nuint)room.Length, &len);
            return Filled(c.Req, raw2, in ctx, ref value, len);
        }
    }

    public int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        var f = _ops.Listxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (XattrReply* x = &names)
        {
            if (names.IsSizeProbe)
            {
                nuint need = 0;
                c.Req = Begin(in ctx, ReplyTarget.Xattr, x);
                int raw = f(_ud, &c, nodeId, null, 0, &need);
                return Probed(c.Req, raw, in ctx, ref names, need);
            }
            var room = names.Reserve((int)Math.Min(names.RequestedSize, int.MaxValue), out int err);
            if (err != 0) return err;
            nuint len = 0;
            c.Req = Begin(in ctx, ReplyTarget.Xattr, x, requested: names.RequestedSize);
            int raw2;
            fixed (byte* b = room)
                raw2 = f(_ud, &c, nodeId, b, (nuint)room.Length, &len);
            return Filled(c.Req, raw2, in ctx, ref names, len);
        }
    }

    /// <summary>A size query answered: by a reply (already in the XattrReply), or by the callback's *len.</summary>
    private static int Probed(nint req, int raw, in RequestContext ctx, ref XattrReply reply, nuint need)
    {
        int s = NativeRequests.End(req, raw, in ctx, out _);
        if (s != NativeRequests.NotReplied) return s;
        int r = Result(raw);
        return r != 0 ? r : SetProbe(ref reply, need);
    }

    /// <summary>A value answered: by a reply (already in the XattrReply), or written in place with its length.</summary>
    private static int Filled(nint req, int raw, in RequestContext ctx, ref XattrReply reply, nuint len)
    {
        int s = NativeRequests.End(req, raw, in ctx, out _);
        if (s != NativeRequests.NotReplied) return s;
        int r = Result(raw);
        return r != 0 ? r : Commit(ref reply, len);
    }

    private static int SetProbe(ref XattrReply reply, nuint need)
    {
        if (need > int.MaxValue) return Errno.E2BIG;
        reply.Reserve((int)need, out _);
        return 0;
    }

    /// <summary>The callback wrote <paramref name="len"/> bytes at the start of the reserved room: keep just those.</summary>
    private static int Commit(ref XattrReply reply, nuint len)
    {
        if (len > reply.RequestedSize) return Errno.ERANGE;
        reply.Reserve((int)len, out int err);
        return err;
    }

    public int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name)
    {
        var f = _ops.Removexattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, n, (nuint)name.Length), in ctx);
            }
    }

    // ---- directories --------------------------------------------------------------------------------------

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        var f = _ops.Opendir;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        fixed (FuseOpenOut* o = &open)
            {
                c.Req = Begin(in ctx, ReplyTarget.Open, o, sizeof(FuseOpenOut));
                return Done(c.Req, f(_ud, &c, nodeId, flags, o), in ctx);
            }
    }

    /// <summary>The C side gets the address of the reply (a ref struct, so it lives on this worker's stack for the
    /// call) as its opaque <c>fastfuse_dirbuf*</c> and packs entries through <c>fastfuse_dir_add*</c>.</summary>
    public int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        var f = _ops.Readdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (DirectoryReply* db = &entries)
            {
                c.Req = Begin(in ctx, ReplyTarget.Dir, (byte*)db, 0, null, (uint)db->Capacity);
                return Done(c.Req, f(_ud, &c, nodeId, fh, offset, db), in ctx);
            }
    }

    public int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags)
    {
        var f = _ops.Releasedir;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, flags), in ctx);
    }

    public int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync)
    {
        var f = _ops.Fsyncdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, fh, dataSync ? 1 : 0), in ctx);
    }
}
