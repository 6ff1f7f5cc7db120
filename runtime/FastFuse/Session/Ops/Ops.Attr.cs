using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// Attributes and whole-filesystem questions: GETATTR, STATX, SETATTR, ACCESS, STATFS, READLINK.
internal static unsafe partial class Ops
{
    internal static void AddAttr(OpRow[] t)
    {
        Set(t, Opcode.Getattr, sizeof(FuseGetattrIn), 0, ReplyKind.Fixed, sizeof(FuseAttrOut), 0, &Getattr);
        Set(t, Opcode.Statx, sizeof(FuseStatxIn), 0, ReplyKind.Fixed, sizeof(FuseStatxOut), 0, &Statx);
        Set(t, Opcode.Setattr, sizeof(FuseSetattrIn), 0, ReplyKind.Fixed, sizeof(FuseAttrOut), 0, &Setattr);
        Set(t, Opcode.Access, sizeof(FuseAccessIn), 0, ReplyKind.Status, 0, 0, &Access);
        Set(t, Opcode.Statfs, 0, 0, ReplyKind.Fixed, sizeof(FuseStatfsOut), 0, &Statfs);
        Set(t, Opcode.Readlink, 0, 0, ReplyKind.Data, 0, 0, &Readlink);
    }

    private static int Getattr(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseGetattrIn>();
        ulong? fh = (a.GetattrFlags & (uint)GetattrFlags.Fh) != 0 ? a.Fh : null;
        return Fs(s).Getattr(in ctx, ctx.NodeId, fh, ref s.Reply<FuseAttrOut>());
    }

    private static int Statx(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseStatxIn>();
        ulong? fh = (a.GetattrFlags & (uint)GetattrFlags.Fh) != 0 ? a.Fh : null;
        return Fs(s).Statx(in ctx, ctx.NodeId, fh, a.SxFlags, a.SxMask, ref s.Reply<FuseStatxOut>());
    }

    private static int Setattr(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Setattr(in ctx, ctx.NodeId, in s.In<FuseSetattrIn>(), ref s.Reply<FuseAttrOut>());

    private static int Access(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Access(in ctx, ctx.NodeId, (int)s.In<FuseAccessIn>().Mask);

    private static int Statfs(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Statfs(in ctx, ctx.NodeId, ref s.Reply<FuseStatfsOut>());

    private static int Readlink(RequestSlot s, in RequestContext ctx)
    {
        var data = s.NewDataReply(s.DataCapacity);
        int r = Fs(s).Readlink(in ctx, ctx.NodeId, ref data);
        if (data.Sent) return 0;
        if (r == 0) s.UseDataReply(ref data);
        return r;
    }
}
