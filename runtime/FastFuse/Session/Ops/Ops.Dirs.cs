using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// Directories as open files: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
internal static unsafe partial class Ops
{
    internal static void AddDirs(OpRow[] t)
    {
        Set(t, Opcode.Opendir, sizeof(FuseOpenIn), 0, ReplyKind.Fixed, sizeof(FuseOpenOut), 0, &Opendir);
        Set(t, Opcode.Readdir, sizeof(FuseReadIn), 0, ReplyKind.Data, 0, 0, &Readdir, &FormatIo);
        Set(t, Opcode.Readdirplus, sizeof(FuseReadIn), 0, ReplyKind.Data, 0, 0, &Readdirplus, &FormatIo);
        Set(t, Opcode.Releasedir, sizeof(FuseReleaseIn), 0, ReplyKind.Status, 0, 0, &Releasedir);
        Set(t, Opcode.Fsyncdir, sizeof(FuseFsyncIn), 0, ReplyKind.Status, 0, 0, &Fsyncdir);
    }

    private static int Opendir(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Opendir(in ctx, ctx.NodeId, (int)s.In<FuseOpenIn>().Flags, ref s.Reply<FuseOpenOut>());

    private static int Readdir(RequestSlot s, in RequestContext ctx) => ReaddirCommon(s, in ctx, plus: false);

    private static int Readdirplus(RequestSlot s, in RequestContext ctx) => ReaddirCommon(s, in ctx, plus: true);

    private static int ReaddirCommon(RequestSlot s, in RequestContext ctx, bool plus)
    {
        ref readonly var a = ref s.In<FuseReadIn>();
        var dir = new DirectoryReply(s.Data, (int)Math.Min(a.Size, (uint)s.DataCapacity), plus);
        int r = Fs(s).Readdir(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, ref dir);
        if (r == 0) s.UseData(dir.Length);
        return r;
    }

    private static int Releasedir(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseReleaseIn>();
        return Fs(s).Releasedir(in ctx, ctx.NodeId, a.Fh, (int)a.Flags);
    }

    private static int Fsyncdir(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseFsyncIn>();
        return Fs(s).Fsyncdir(in ctx, ctx.NodeId, a.Fh, (a.FsyncFlags & (uint)FsyncFlags.Fdatasync) != 0);
    }
}
