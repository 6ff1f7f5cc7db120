using System.Runtime.CompilerServices;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// Open files: OPEN, READ, WRITE, RELEASE, FLUSH, FSYNC, FALLOCATE, LSEEK, COPY_FILE_RANGE(_64), BMAP, POLL, IOCTL,
// locks, SYNCFS.
internal static unsafe partial class Ops
{
    internal static void AddFiles(OpRow[] t)
    {
        Set(t, Opcode.Open, sizeof(FuseOpenIn), 0, ReplyKind.Fixed, sizeof(FuseOpenOut), 0, &Open);
        Set(t, Opcode.Read, sizeof(FuseReadIn), 0, ReplyKind.Data, 0, 0, &Read, &FormatIo);
        Set(t, Opcode.Write, sizeof(FuseWriteIn), 0, ReplyKind.Fixed, sizeof(FuseWriteOut), 0, &Write, &FormatIo);
        Set(t, Opcode.Release, sizeof(FuseReleaseIn), 0, ReplyKind.Status, 0, 0, &Release);
        Set(t, Opcode.Flush, sizeof(FuseFlushIn), 0, ReplyKind.Status, 0, 0, &Flush);
        Set(t, Opcode.Fsync, sizeof(FuseFsyncIn), 0, ReplyKind.Status, 0, 0, &Fsync);
        Set(t, Opcode.Fallocate, sizeof(FuseFallocateIn), 0, ReplyKind.Status, 0, 0, &Fallocate);
        Set(t, Opcode.Lseek, sizeof(FuseLseekIn), 0, ReplyKind.Fixed, sizeof(FuseLseekOut), 0, &Lseek);
        Set(t, Opcode.CopyFileRange, sizeof(FuseCopyFileRangeIn), 0, ReplyKind.Fixed, sizeof(FuseWriteOut), 0, &CopyFileRange);
        Set(t, Opcode.Bmap, sizeof(FuseBmapIn), 0, ReplyKind.Fixed, sizeof(FuseBmapOut), 0, &Bmap);
        Set(t, Opcode.Poll, sizeof(FusePollIn), 0, ReplyKind.Fixed, sizeof(FusePollOut), 0, &Poll);
        Set(t, Opcode.Ioctl, sizeof(FuseIoctlIn), 0, ReplyKind.DataAfterPayload, 0, 0, &Ioctl, &FormatIoctl);
        Set(t, Opcode.Getlk, sizeof(FuseLkIn), 0, ReplyKind.Fixed, sizeof(FuseLkOut), 0, &Getlk);
        Set(t, Opcode.Setlk, sizeof(FuseLkIn), 0, ReplyKind.Status, 0, 0, &Setlk);
        Set(t, Opcode.Setlkw, sizeof(FuseLkIn), 0, ReplyKind.Status, 0, 0, &Setlkw);
        Set(t, Opcode.CopyFileRange64, sizeof(FuseCopyFileRangeIn), 0, ReplyKind.Fixed, sizeof(FuseCopyFileRangeOut), 0, &CopyFileRange64);
        Set(t, Opcode.Syncfs, sizeof(FuseSyncfsIn), 0, ReplyKind.Status, 0, 0, &Syncfs);
        // SETUPMAPPING, REMOVEMAPPING (DAX, virtiofs only): rows without a handler, answered ENOSYS.
    }

    private static int Open(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Open(in ctx, ctx.NodeId, (int)s.In<FuseOpenIn>().Flags, ref s.Reply<FuseOpenOut>());

    private static int Read(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseReadIn>();
        if (a.Offset > long.MaxValue) return Errno.EINVAL;
        var data = s.NewDataReply((int)Math.Min(a.Size, int.MaxValue));
        int r = Fs(s).Read(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, data.Limit, ref data);
        if (data.Sent) return 0;
        if (r == 0) s.UseDataReply(ref data);
        return r;
    }

    private static int Write(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseWriteIn>();
        if (a.Size > (uint)s.PayloadLength) return ProtocolError(s);
        if (a.Offset > long.MaxValue) return Errno.EFBIG;
        var data = new ReadOnlySpan<byte>(s.Payload, (int)a.Size);
        int r = Fs(s).Write(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, data, a.WriteFlags, (int)a.Flags, out uint written);
        if (r == 0) s.Reply<FuseWriteOut>().Size = written;
        return r;
    }

    private static int Release(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseReleaseIn>();
        return Fs(s).Release(in ctx, ctx.NodeId, a.Fh, (int)a.Flags, a.ReleaseFlags, a.LockOwner);
    }

    private static int Flush(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseFlushIn>();
        return Fs(s).Flush(in ctx, ctx.NodeId, a.Fh, a.LockOwner);
    }

    private static int Fsync(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseFsyncIn>();
        return Fs(s).Fsync(in ctx, ctx.NodeId, a.Fh, (a.FsyncFlags & (uint)FsyncFlags.Fdatasync) != 0);
    }

    private static int Fallocate(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseFallocateIn>();
        if (a.Offset > long.MaxValue || a.Length > long.MaxValue) return Errno.EFBIG;
        return Fs(s).Fallocate(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, (long)a.Length, (int)a.Mode);
    }

    private static int Lseek(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseLseekIn>();
        // The offset is the caller's loff_t as the kernel passed it: a negative one is the filesystem's to answer
        // (ext4 answers ENXIO for SEEK_DATA/SEEK_HOLE from a negative offset, not EINVAL).
        int r = Fs(s).Lseek(in ctx, ctx.NodeId, a.Fh, (long)a.Offset, (int)a.Whence, out long result);
        if (r == 0) s.Reply<FuseLseekOut>().Offset = (ulong)result;
        return r;
    }

    private static int CopyFileRange(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseCopyFileRangeIn>();
        if (a.OffIn > long.MaxValue || a.OffOut > long.MaxValue) return Errno.EINVAL;
        int r = Fs(s).CopyFileRange(in ctx, ctx.NodeId, a.FhIn, (long)a.OffIn, a.NodeidOut, a.FhOut, (long)a.OffOut, a.Len, a.Flags, out ulong copied);
        if (r == 0) s.Reply<FuseWriteOut>().Size = (uint)Math.Min(copied, uint.MaxValue);
        return r;
    }

    /// <summary>COPY_FILE_RANGE_64 (7.45): the same request, a 64-bit count in the answer. A filesystem answering
    /// ENOSYS makes the kernel fall back to COPY_FILE_RANGE for the rest of the session.</summary>
    private static int CopyFileRange64(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseCopyFileRangeIn>();
        if (a.OffIn > long.MaxValue || a.OffOut > long.MaxValue) return Errno.EINVAL;
        int r = Fs(s).CopyFileRange(in ctx, ctx.NodeId, a.FhIn, (long)a.OffIn, a.NodeidOut, a.FhOut, (long)a.OffOut, a.Len, a.Flags, out ulong copied);
        if (r == 0) s.Reply<FuseCopyFileRangeOut>().BytesCopied = Math.Min(copied, a.Len);
        return r;
    }

    private static int Bmap(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseBmapIn>();
        ulong block = a.Block;
        int r = Fs(s).Bmap(in ctx, ctx.NodeId, a.Blocksize, ref block);
        if (r == 0) s.Reply<FuseBmapOut>().Block = block;
        return r;
    }

    private static int Poll(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FusePollIn>();
        return Fs(s).Poll(in ctx, ctx.NodeId, a.Fh, a.Kh, a.Flags, a.Events, ref s.Reply<FusePollOut>());
    }

    /// <summary>
    /// IOCTL, restricted (the only kind the kernel sends a FUSE mount; unrestricted ones come from CUSE): the kernel
    /// sized the input and output from the command's encoding. The answer is fuse_ioctl_out then the output bytes,
    /// built in the data area; on fuse-uring the input sits at the start of that area, so the output is built
    /// past it and moved down once the handler is done with the input.
    /// </summary>
    private static int Ioctl(RequestSlot s, in RequestContext ctx)
    {
        ref readonly var a = ref s.In<FuseIoctlIn>();
        if (a.InSize > (uint)s.PayloadLength) return ProtocolError(s);
        byte* answer = s.Data + sizeof(FuseIoctlOut), end = s.Data + s.DataCapacity, output = answer;
        if (s.Payload >= s.Data && s.Payload < end && s.Payload + a.InSize > answer) output = s.Payload + ((a.InSize + 7) & ~7u);
        if (a.OutSize > end - output) return Errno.EINVAL;     // larger than any reply this session sends
        var outSpan = new Span<byte>(output, (int)a.OutSize);
        outSpan.Clear();
        int r = Fs(s).Ioctl(in ctx, ctx.NodeId, a.Fh, a.Flags, a.Cmd, a.Arg, new ReadOnlySpan<byte>(s.Payload, (int)a.InSize),
            outSpan, out int result, out int written);
        if (r != 0) return r;
        if ((uint)written > a.OutSize || result < 0) return IoctlAnswerInvalid(s, result, written);
        if (output != answer) Buffer.MemoryCopy(output, answer, end - answer, written);
        *(FuseIoctlOut*)s.Data = new FuseIoctlOut { Result = result };
        s.UseData(sizeof(FuseIoctlOut) + written);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int IoctlAnswerInvalid(RequestSlot s, int result, int written)
    {
        Log.Error($"IOCTL handler answered result {result} with {written} bytes of output (room: {s.In<FuseIoctlIn>().OutSize}); answered EIO");
        return Errno.EIO;
    }

    private static int Getlk(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Getlk(in ctx, ctx.NodeId, in s.In<FuseLkIn>(), ref s.Reply<FuseLkOut>());

    private static int Setlk(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Setlk(in ctx, ctx.NodeId, in s.In<FuseLkIn>(), wait: false);

    private static int Setlkw(RequestSlot s, in RequestContext ctx) =>
        Fs(s).Setlk(in ctx, ctx.NodeId, in s.In<FuseLkIn>(), wait: true);

    private static int Syncfs(RequestSlot s, in RequestContext ctx) => Fs(s).Syncfs(in ctx, ctx.NodeId);

    /// <summary>Debug log of IOCTL: command, flags, input and output sizes.</summary>
    private static void FormatIoctl(RequestSlot s, StringBuilder sb)
    {
        ref readonly var a = ref s.In<FuseIoctlIn>();
        sb.Append(" fh=").Append(a.Fh).Append(" cmd=0x").Append(a.Cmd.ToString("x8")).Append(" flags=0x").Append(a.Flags.ToString("x"))
          .Append(" in=").Append(a.InSize).Append(" out=").Append(a.OutSize);
    }

    /// <summary>Debug log of READ and WRITE: handle, offset, size (the first 24 bytes of both structs).</summary>
    private static void FormatIo(RequestSlot s, StringBuilder sb)
    {
        ref readonly var a = ref s.In<FuseReadIn>();
        sb.Append(" fh=").Append(a.Fh).Append(" off=").Append(a.Offset).Append(" size=").Append(a.Size);
    }
}
