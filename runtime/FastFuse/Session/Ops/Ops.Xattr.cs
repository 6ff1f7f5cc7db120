using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR.
internal static unsafe partial class Ops
{
    internal static void AddXattr(OpRow[] t)
    {
        // fuse_setxattr_in is 16 bytes with FUSE_SETXATTR_EXT, else the 8-byte compat form.
        Set(t, Opcode.Setxattr, sizeof(FuseSetxattrIn), 2, ReplyKind.Status, 0, 1, &Setxattr,
            compatOpSize: FuseConstants.CompatSetxattrInSize);
        Set(t, Opcode.Getxattr, sizeof(FuseGetxattrIn), 2, ReplyKind.Data, 0, 1, &Getxattr);
        Set(t, Opcode.Listxattr, sizeof(FuseGetxattrIn), 0, ReplyKind.Data, 0, 0, &Listxattr);
        Set(t, Opcode.Removexattr, 0, 2, ReplyKind.Status, 0, 1, &Removexattr);
    }

    private static int Setxattr(RequestSlot s, in RequestContext ctx)
    {
        uint size = MemoryMarshal.Read<uint>(new ReadOnlySpan<byte>(s.Op, 8));
        int flags = MemoryMarshal.Read<int>(new ReadOnlySpan<byte>(s.Op + 4, 4));
        var rest = s.PayloadSpan;
        int e = TakeString(s, ref rest, out var name);
        if (e != 0) return e;
        if (size > (uint)rest.Length) return ProtocolError(s);
        return Fs(s).Setxattr(in ctx, ctx.NodeId, name, rest[..(int)size], flags);
    }

    private static int Getxattr(RequestSlot s, in RequestContext ctx)
    {
        uint size = s.In<FuseGetxattrIn>().Size;
        int e = OnlyXattrName(s, out var name);
        if (e != 0) return e == Errno.ENAMETOOLONG ? Errno.ERANGE : e;
        var reply = new XattrReply(s.Data, s.DataCapacity, size);
        int r = Fs(s).Getxattr(in ctx, ctx.NodeId, name, ref reply);
        return FinishXattr(s, ref reply, r);
    }

    private static int Listxattr(RequestSlot s, in RequestContext ctx)
    {
        var reply = new XattrReply(s.Data, s.DataCapacity, s.In<FuseGetxattrIn>().Size);
        int r = Fs(s).Listxattr(in ctx, ctx.NodeId, ref reply);
        return FinishXattr(s, ref reply, r);
    }

    private static int FinishXattr(RequestSlot s, ref XattrReply reply, int r)
    {
        if (r != 0) return r;
        if (reply.IsSizeProbe)
        {
            ref var o = ref s.Reply<FuseGetxattrOut>();
            o = default;
            o.Size = reply.ProbeAnswer;
            s.UseFixed(sizeof(FuseGetxattrOut));
        }
        else s.UseData(reply.Length);
        return 0;
    }

    private static int Removexattr(RequestSlot s, in RequestContext ctx)
    {
        int e = OnlyXattrName(s, out var name);
        return e != 0 ? e : Fs(s).Removexattr(in ctx, ctx.NodeId, name);
    }
}
