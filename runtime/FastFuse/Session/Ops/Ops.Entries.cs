using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// Names in directories: LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE, TMPFILE, UNLINK, RMDIR, RENAME, RENAME2.
internal static unsafe partial class Ops
{
    internal static void AddEntries(OpRow[] t)
    {
        int entry = sizeof(FuseEntryOut);
        Set(t, Opcode.Lookup, 0, 2, ReplyKind.Fixed, entry, 1, &Lookup);
        Set(t, Opcode.Mknod, sizeof(FuseMknodIn), 2, ReplyKind.Fixed, entry, 1, &Mknod);
        Set(t, Opcode.Mkdir, sizeof(FuseMkdirIn), 2, ReplyKind.Fixed, entry, 1, &Mkdir);
        Set(t, Opcode.Symlink, 0, 4, ReplyKind.Fixed, entry, 2, &Symlink);
        Set(t, Opcode.Link, sizeof(FuseLinkIn), 2, ReplyKind.Fixed, entry, 1, &Link);
        Set(t, Opcode.Create, sizeof(FuseCreateIn), 2, ReplyKind.Fixed, entry + sizeof(FuseOpenOut), 1, &Create);
        // TMPFILE carries fuse_create_in and the VFS's placeholder name ("/"), which names nothing: not parsed.
        Set(t, Opcode.Tmpfile, sizeof(FuseCreateIn), 0, ReplyKind.Fixed, entry + sizeof(FuseOpenOut), 0, &Tmpfile);
        Set(t, Opcode.Unlink, 0, 2, ReplyKind.Status, 0, 1, &Unlink);
        Set(t, Opcode.Rmdir, 0, 2, ReplyKind.Status, 0, 1, &Rmdir);
        Set(t, Opcode.Rename, sizeof(FuseRenameIn), 4, ReplyKind.Status, 0, 2, &Rename);
        Set(t, Opcode.Rename2, sizeof(FuseRename2In), 4, ReplyKind.Status, 0, 2, &Rename2);
    }

    private static int Lookup(RequestSlot s, in RequestContext ctx)
    {
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Lookup(in ctx, ctx.NodeId, name, ref s.Reply<FuseEntryOut>());
    }

    private static int Mknod(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseMknodIn>();
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Mknod(in ctx, ctx.NodeId, name, a.Mode, a.Rdev, a.Umask, ref s.Reply<FuseEntryOut>());
    }

    private static int Mkdir(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseMkdirIn>();
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Mkdir(in ctx, ctx.NodeId, name, a.Mode, a.Umask, ref s.Reply<FuseEntryOut>());
    }

    private static int Symlink(RequestSlot s, in RequestContext ctx)
    {
        var rest = s.PayloadSpan;
        int e = TakeName(s, ref rest, out var name);
        if (e != 0) return e;
        int nul = rest.IndexOf((byte)0);
        if (nul < 0) return ProtocolError(s);
        if (nul == 0) return Errno.ENOENT;
        return Fs(s).Symlink(in ctx, ctx.NodeId, name, rest[..nul], ref s.Reply<FuseEntryOut>());
    }

    private static int Link(RequestSlot s, in RequestContext ctx)
    {
        ulong oldNode = s.In<FuseLinkIn>().Oldnodeid;
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Link(in ctx, oldNode, ctx.NodeId, name, ref s.Reply<FuseEntryOut>());
    }

    private static int Create(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseCreateIn>();
        int e = OnlyName(s, out var name);
        if (e != 0) return e;
        return Fs(s).Create(in ctx, ctx.NodeId, name, a.Mode, (int)a.Flags, a.Umask,
            ref s.Reply<FuseEntryOut>(), ref s.Reply<FuseOpenOut>(sizeof(FuseEntryOut)));
    }

    private static int Tmpfile(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseCreateIn>();
        return Fs(s).Tmpfile(in ctx, ctx.NodeId, a.Mode, (int)a.Flags, a.Umask,
            ref s.Reply<FuseEntryOut>(), ref s.Reply<FuseOpenOut>(sizeof(FuseEntryOut)));
    }

    private static int Unlink(RequestSlot s, in RequestContext ctx)
    {
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Unlink(in ctx, ctx.NodeId, name);
    }

    private static int Rmdir(RequestSlot s, in RequestContext ctx)
    {
        int e = OnlyName(s, out var name);
        return e != 0 ? e : Fs(s).Rmdir(in ctx, ctx.NodeId, name);
    }

    private static int Rename(RequestSlot s, in RequestContext ctx) =>
        RenameCommon(s, in ctx, s.In<FuseRenameIn>().Newdir, 0);

    private static int Rename2(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseRename2In>();
        return RenameCommon(s, in ctx, a.Newdir, a.Flags);
    }

    private static int RenameCommon(RequestSlot s, in RequestContext ctx, ulong newDir, uint flags)
    {
        var rest = s.PayloadSpan;
        int e = TakeName(s, ref rest, out var oldName);
        if (e != 0) return e;
        e = TakeName(s, ref rest, out var newName);
        if (e != 0) return e;
        return Fs(s).Rename(in ctx, ctx.NodeId, oldName, newDir, newName, flags);
    }
}
