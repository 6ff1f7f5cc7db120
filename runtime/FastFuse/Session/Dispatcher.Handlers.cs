using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Session;

// One handler per opcode: decode the kernel's struct and names, call the filesystem, shape the reply.
internal static unsafe partial class Dispatcher
{
    private static Row[] BuildTable()
    {
        var t = new Row[(int)Opcode.CopyFileRange64 + 1];
        void Set(Opcode op, delegate*<Worker, in RequestContext, ReadOnlySpan<byte>, int> h, int minBody) => t[(int)op] = new Row(h, minBody);

        Set(Opcode.Init, &Init, 8);
        Set(Opcode.Destroy, &Destroy, 0);
        Set(Opcode.Lookup, &Lookup, 2);
        Set(Opcode.Forget, &Forget, sizeof(FuseForgetIn));
        Set(Opcode.BatchForget, &BatchForget, sizeof(FuseBatchForgetIn));
        Set(Opcode.Getattr, &Getattr, sizeof(FuseGetattrIn));
        Set(Opcode.Setattr, &Setattr, sizeof(FuseSetattrIn));
        Set(Opcode.Readlink, &Readlink, 0);
        Set(Opcode.Symlink, &Symlink, 4);
        Set(Opcode.Mknod, &Mknod, sizeof(FuseMknodIn) + 2);
        Set(Opcode.Mkdir, &Mkdir, sizeof(FuseMkdirIn) + 2);
        Set(Opcode.Unlink, &Unlink, 2);
        Set(Opcode.Rmdir, &Rmdir, 2);
        Set(Opcode.Rename, &Rename, sizeof(FuseRenameIn) + 4);
        Set(Opcode.Rename2, &Rename2, sizeof(FuseRename2In) + 4);
        Set(Opcode.Link, &Link, sizeof(FuseLinkIn) + 2);
        Set(Opcode.Open, &Open, sizeof(FuseOpenIn));
        Set(Opcode.Read, &Read, sizeof(FuseReadIn));
        Set(Opcode.Write, &Write, sizeof(FuseWriteIn));
        Set(Opcode.Statfs, &Statfs, 0);
        Set(Opcode.Release, &Release, sizeof(FuseReleaseIn));
        Set(Opcode.Fsync, &Fsync, sizeof(FuseFsyncIn));
        Set(Opcode.Setxattr, &Setxattr, 8 + 2);
        Set(Opcode.Getxattr, &Getxattr, sizeof(FuseGetxattrIn) + 2);
        Set(Opcode.Listxattr, &Listxattr, sizeof(FuseGetxattrIn));
        Set(Opcode.Removexattr, &Removexattr, 2);
        Set(Opcode.Flush, &Flush, sizeof(FuseFlushIn));
        Set(Opcode.Opendir, &Opendir, sizeof(FuseOpenIn));
        Set(Opcode.Readdir, &Readdir, sizeof(FuseReadIn));
        Set(Opcode.Readdirplus, &Readdirplus, sizeof(FuseReadIn));
        Set(Opcode.Releasedir, &Releasedir, sizeof(FuseReleaseIn));
        Set(Opcode.Fsyncdir, &Fsyncdir, sizeof(FuseFsyncIn));
        Set(Opcode.Getlk, &Getlk, sizeof(FuseLkIn));
        Set(Opcode.Setlk, &Setlk, sizeof(FuseLkIn));
        Set(Opcode.Setlkw, &Setlkw, sizeof(FuseLkIn));
        Set(Opcode.Access, &Access, sizeof(FuseAccessIn));
        Set(Opcode.Create, &Create, sizeof(FuseCreateIn) + 2);
        Set(Opcode.Interrupt, &Interrupt, sizeof(FuseInterruptIn));
        Set(Opcode.Bmap, &Bmap, sizeof(FuseBmapIn));
        Set(Opcode.Poll, &Poll, sizeof(FusePollIn));
        Set(Opcode.NotifyReply, &NotifyReply, 0);
        Set(Opcode.Fallocate, &Fallocate, sizeof(FuseFallocateIn));
        Set(Opcode.Lseek, &Lseek, sizeof(FuseLseekIn));
        Set(Opcode.CopyFileRange, &CopyFileRange, sizeof(FuseCopyFileRangeIn));
        Set(Opcode.Syncfs, &Syncfs, sizeof(FuseSyncfsIn));
        // IOCTL, SETUPMAPPING, REMOVEMAPPING, TMPFILE, STATX, COPY_FILE_RANGE_64: no row, answered ENOSYS
        // (the kernel falls back: STATX to GETATTR, COPY_FILE_RANGE_64 to COPY_FILE_RANGE).
        return t;
    }

    private static IRawFileSystem Fs(Worker w) => w.Session.FileSystem;

    private static int Init(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) => w.Session.HandleInit(w, body);

    private static int Destroy(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        w.Session.OnDestroy();
        return Status.Ok;
    }

    private static int Lookup(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        return Fs(w).Lookup(in ctx, ctx.NodeId, name, ref w.Payload<FuseEntryOut>());
    }

    private static int Forget(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        Interlocked.Increment(ref w.Session.Stats.Forgets);
        Fs(w).Forget(ctx.NodeId, In<FuseForgetIn>(body).Nlookup);
        return NoReply;
    }

    private static int BatchForget(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        uint count = In<FuseBatchForgetIn>(body).Count;
        var rest = body[sizeof(FuseBatchForgetIn)..];
        // A count that claims more entries than the request holds is cut to what is really there.
        long fits = rest.Length / sizeof(FuseForgetOne);
        if (count > fits)
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            count = (uint)fits;
        }
        var items = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, FuseForgetOne>(rest)[..(int)count];
        Interlocked.Add(ref w.Session.Stats.Forgets, count);
        Fs(w).BatchForget(items);
        return NoReply;
    }

    private static int Getattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseGetattrIn>(body);
        ulong? fh = (a.GetattrFlags & (uint)GetattrFlags.Fh) != 0 ? a.Fh : null;
        return Fs(w).Getattr(in ctx, ctx.NodeId, fh, ref w.Payload<FuseAttrOut>());
    }

    private static int Setattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Setattr(in ctx, ctx.NodeId, in In<FuseSetattrIn>(body), ref w.Payload<FuseAttrOut>());

    private static int Readlink(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        var data = w.NewDataReply(w.ReplyCapacity);
        int r = Fs(w).Readlink(in ctx, ctx.NodeId, ref data);
        if (data.Sent) return 0;
        w.UseSegments(r == 0 ? data.SegmentCount : 0);
        return r;
    }

    private static int Symlink(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        int nul = body.IndexOf((byte)0);
        if (nul < 0)
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        if (nul == 0) return Errno.ENOENT;
        return Fs(w).Symlink(in ctx, ctx.NodeId, name, body[..nul], ref w.Payload<FuseEntryOut>());
    }

    private static int Mknod(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseMknodIn>(body);
        body = body[sizeof(FuseMknodIn)..];
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        return Fs(w).Mknod(in ctx, ctx.NodeId, name, a.Mode, a.Rdev, a.Umask, ref w.Payload<FuseEntryOut>());
    }

    private static int Mkdir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseMkdirIn>(body);
        body = body[sizeof(FuseMkdirIn)..];
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        return Fs(w).Mkdir(in ctx, ctx.NodeId, name, a.Mode, a.Umask, ref w.Payload<FuseEntryOut>());
    }

    private static int Unlink(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        int e = TakeName(w, ref body, out var name);
        return e != 0 ? e : Fs(w).Unlink(in ctx, ctx.NodeId, name);
    }

    private static int Rmdir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        int e = TakeName(w, ref body, out var name);
        return e != 0 ? e : Fs(w).Rmdir(in ctx, ctx.NodeId, name);
    }

    private static int Rename(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ulong newDir = In<FuseRenameIn>(body).Newdir;
        return RenameCommon(w, in ctx, body[sizeof(FuseRenameIn)..], newDir, 0);
    }

    private static int Rename2(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseRename2In>(body);
        return RenameCommon(w, in ctx, body[sizeof(FuseRename2In)..], a.Newdir, a.Flags);
    }

    private static int RenameCommon(Worker w, in RequestContext ctx, ReadOnlySpan<byte> rest, ulong newDir, uint flags)
    {
        int e = TakeName(w, ref rest, out var oldName);
        if (e != 0) return e;
        e = TakeName(w, ref rest, out var newName);
        if (e != 0) return e;
        return Fs(w).Rename(in ctx, ctx.NodeId, oldName, newDir, newName, flags);
    }

    private static int Link(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ulong oldNode = In<FuseLinkIn>(body).Oldnodeid;
        body = body[sizeof(FuseLinkIn)..];
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        return Fs(w).Link(in ctx, oldNode, ctx.NodeId, name, ref w.Payload<FuseEntryOut>());
    }

    private static int Open(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Open(in ctx, ctx.NodeId, (int)In<FuseOpenIn>(body).Flags, ref w.Payload<FuseOpenOut>());

    private static int Read(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseReadIn>(body);
        if (a.Offset > long.MaxValue) return Errno.EINVAL;
        var data = w.NewDataReply((int)Math.Min(a.Size, int.MaxValue));
        int r = Fs(w).Read(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, data.Limit, ref data);
        if (data.Sent) return 0;
        if (r != 0) return r;
        if (data.FileFd >= 0) w.UseFile(data.FileFd, data.FileOffset, data.Length);
        else w.UseSegments(data.SegmentCount);
        return r;
    }

    private static int Write(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseWriteIn>(body);
        var data = body[sizeof(FuseWriteIn)..];
        if (a.Size > (uint)data.Length)
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        if (a.Offset > long.MaxValue) return Errno.EFBIG;
        int r = Fs(w).Write(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, data[..(int)a.Size], a.WriteFlags, (int)a.Flags, out uint written);
        if (r == 0) w.Payload<FuseWriteOut>().Size = written;
        return r;
    }

    private static int Statfs(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Statfs(in ctx, ctx.NodeId, ref w.Payload<FuseStatfsOut>());

    private static int Release(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseReleaseIn>(body);
        return Fs(w).Release(in ctx, ctx.NodeId, a.Fh, (int)a.Flags, a.ReleaseFlags, a.LockOwner);
    }

    private static int Fsync(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseFsyncIn>(body);
        return Fs(w).Fsync(in ctx, ctx.NodeId, a.Fh, (a.FsyncFlags & (uint)FsyncFlags.Fdatasync) != 0);
    }

    private static int Setxattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        // With FUSE_SETXATTR_EXT the struct is 16 bytes, otherwise the 8-byte compat form.
        int headSize = w.Session.Connection.Has(InitFlags.SetxattrExt) ? sizeof(FuseSetxattrIn) : FuseConstants.CompatSetxattrInSize;
        if (body.Length < headSize + 2)
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        uint size = System.Runtime.InteropServices.MemoryMarshal.Read<uint>(body);
        int flags = System.Runtime.InteropServices.MemoryMarshal.Read<int>(body[4..]);
        var rest = body[headSize..];
        int e = TakeName(w, ref rest, out var name);
        if (e != 0) return e;
        if (size > (uint)rest.Length)
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        return Fs(w).Setxattr(in ctx, ctx.NodeId, name, rest[..(int)size], flags);
    }

    private static int Getxattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        uint size = In<FuseGetxattrIn>(body).Size;
        var rest = body[sizeof(FuseGetxattrIn)..];
        int e = TakeName(w, ref rest, out var name);
        if (e != 0) return e == Errno.ENAMETOOLONG ? Errno.ERANGE : e;
        scoped var reply = new XattrReply(w.ReplyBody, w.ReplyCapacity, size);
        int r = Fs(w).Getxattr(in ctx, ctx.NodeId, name, ref reply);
        return FinishXattr(w, ref reply, r);
    }

    private static int Listxattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        var reply = new XattrReply(w.ReplyBody, w.ReplyCapacity, In<FuseGetxattrIn>(body).Size);
        int r = Fs(w).Listxattr(in ctx, ctx.NodeId, ref reply);
        return FinishXattr(w, ref reply, r);
    }

    private static int FinishXattr(Worker w, ref XattrReply reply, int r)
    {
        if (r != 0) return r;
        if (reply.IsSizeProbe) w.Payload<FuseGetxattrOut>().Size = reply.ProbeAnswer;
        else w.PayloadLength = reply.Length;
        return 0;
    }

    private static int Removexattr(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        int e = TakeName(w, ref body, out var name);
        return e != 0 ? e : Fs(w).Removexattr(in ctx, ctx.NodeId, name);
    }

    private static int Flush(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseFlushIn>(body);
        return Fs(w).Flush(in ctx, ctx.NodeId, a.Fh, a.LockOwner);
    }

    private static int Opendir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Opendir(in ctx, ctx.NodeId, (int)In<FuseOpenIn>(body).Flags, ref w.Payload<FuseOpenOut>());

    private static int Readdir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) => ReaddirCommon(w, in ctx, body, plus: false);

    private static int Readdirplus(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) => ReaddirCommon(w, in ctx, body, plus: true);

    private static int ReaddirCommon(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body, bool plus)
    {
        ref readonly var a = ref In<FuseReadIn>(body);
        var dir = new DirectoryReply(w.ReplyBody, (int)Math.Min(a.Size, (uint)w.ReplyCapacity), plus);
        int r = Fs(w).Readdir(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, ref dir);
        if (r == 0) w.PayloadLength = dir.Length;
        return r;
    }

    private static int Releasedir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseReleaseIn>(body);
        return Fs(w).Releasedir(in ctx, ctx.NodeId, a.Fh, (int)a.Flags);
    }

    private static int Fsyncdir(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseFsyncIn>(body);
        return Fs(w).Fsyncdir(in ctx, ctx.NodeId, a.Fh, (a.FsyncFlags & (uint)FsyncFlags.Fdatasync) != 0);
    }

    private static int Getlk(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Getlk(in ctx, ctx.NodeId, in In<FuseLkIn>(body), ref w.Payload<FuseLkOut>());

    private static int Setlk(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Setlk(in ctx, ctx.NodeId, in In<FuseLkIn>(body), wait: false);

    private static int Setlkw(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Setlk(in ctx, ctx.NodeId, in In<FuseLkIn>(body), wait: true);

    private static int Access(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) =>
        Fs(w).Access(in ctx, ctx.NodeId, (int)In<FuseAccessIn>(body).Mask);

    private static int Create(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseCreateIn>(body);
        body = body[sizeof(FuseCreateIn)..];
        int e = TakeName(w, ref body, out var name);
        if (e != 0) return e;
        ref var open = ref w.PayloadSecond<FuseEntryOut, FuseOpenOut>();
        ref var entry = ref w.Payload<FuseEntryOut>();
        w.PayloadLength = sizeof(FuseEntryOut) + sizeof(FuseOpenOut);
        return Fs(w).Create(in ctx, ctx.NodeId, name, a.Mode, (int)a.Flags, a.Umask, ref entry, ref open);
    }

    private static int Interrupt(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        w.Session.Interrupts.Mark(In<FuseInterruptIn>(body).Unique);
        return NoReply;
    }

    private static int Bmap(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseBmapIn>(body);
        ulong block = a.Block;
        int r = Fs(w).Bmap(in ctx, ctx.NodeId, a.Blocksize, ref block);
        if (r == 0) w.Payload<FuseBmapOut>().Block = block;
        return r;
    }

    private static int Poll(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FusePollIn>(body);
        return Fs(w).Poll(in ctx, ctx.NodeId, a.Fh, a.Kh, a.Flags, a.Events, ref w.Payload<FusePollOut>());
    }

    private static int NotifyReply(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) => NoReply;

    private static int Fallocate(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseFallocateIn>(body);
        if (a.Offset > long.MaxValue || a.Length > long.MaxValue) return Errno.EFBIG;
        return Fs(w).Fallocate(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, (long)a.Length, (int)a.Mode);
    }

    private static int Lseek(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseLseekIn>(body);
        if (a.Offset > long.MaxValue) return Errno.EINVAL;
        int r = Fs(w).Lseek(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, (int)a.Whence, out long result);
        if (r == 0) w.Payload<FuseLseekOut>().Offset = (ulong)result;
        return r;
    }

    private static int CopyFileRange(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        ref readonly var a = ref In<FuseCopyFileRangeIn>(body);
        if (a.OffIn > long.MaxValue || a.OffOut > long.MaxValue) return Errno.EINVAL;
        int r = Fs(w).CopyFileRange(in ctx, ctx.NodeId, a.FhIn, (long)a.OffIn, a.NodeidOut, a.FhOut, (long)a.OffOut, a.Len, a.Flags, out ulong copied);
        if (r == 0) w.Payload<FuseWriteOut>().Size = (uint)Math.Min(copied, uint.MaxValue);
        return r;
    }

    private static int Syncfs(Worker w, in RequestContext ctx, ReadOnlySpan<byte> body) => Fs(w).Syncfs(in ctx, ctx.NodeId);
}
