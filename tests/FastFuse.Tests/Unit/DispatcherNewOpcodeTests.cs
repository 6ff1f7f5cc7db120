using FastFuse.Filesystems;
using FastFuse.Kernel;

namespace FastFuse.Tests.Unit;

/// <summary>The rows protocol 7.45 added or that used to answer ENOSYS (COPY_FILE_RANGE_64, TMPFILE, STATX, IOCTL),
/// decoded from hand-built kernel bytes, answered in exact bytes.</summary>
public sealed class DispatcherNewOpcodeTests
{
    private const int EntryOutSize = 128, OpenOutSize = 16;

    [Fact]
    public void CopyFileRange64_AnswersA64BitCount_TheOldOpcodeClampsIt()
    {
        using var h = new Harness(new WideOpsFs());
        h.Init();
        // fh_in, off_in, nodeid_out, fh_out, off_out, len, flags
        var wide = h.Call(new Req(Opcode.CopyFileRange64, 5, 2).U64(1).U64(0).U64(3).U64(4).U64(0).U64(6UL << 30).U64(0));
        Assert.Equal(0, wide.Error);
        Assert.Equal(16u + 8, wide.Len);
        Assert.Equal(5UL << 30, wide.U64(0));
        var old = h.Call(new Req(Opcode.CopyFileRange, 6, 2).U64(1).U64(0).U64(3).U64(4).U64(0).U64(6UL << 30).U64(0));
        Assert.Equal(0, old.Error);
        Assert.Equal(16u + 8, old.Len);              // fuse_write_out: size (u32) and padding
        Assert.Equal(uint.MaxValue, old.U32(0));
    }

    [Fact]
    public void Tmpfile_And_Statx_ReachTheFilesystem_WithTheirArguments()
    {
        var fs = new WideOpsFs();
        using var h = new Harness(fs);
        h.Init();
        // fuse_create_in (flags, mode, umask, open_flags) then the VFS's placeholder name "/".
        var t = h.Call(new Req(Opcode.Tmpfile, 7, 1).U32(0x410002).U32(0x8180).U32(0x12).U32(0).Name("/"));
        Assert.Equal(0, t.Error);
        Assert.Equal(16u + EntryOutSize + OpenOutSize, t.Len);
        Assert.Equal(9UL, t.U64(0));
        Assert.Equal(77UL, t.U64(EntryOutSize));
        Assert.Equal((1UL, 0x8180u, 0x410002, 0x12u), fs.TmpfileCall);
        // fuse_statx_in: getattr_flags (FH), reserved, fh, sx_flags, sx_mask
        var x = h.Call(new Req(Opcode.Statx, 8, 2).U32(1).U32(0).U64(42).U32(0x2000).U32(0xfff));
        Assert.Equal(0, x.Error);
        Assert.Equal(16u + 288, x.Len);
        Assert.Equal(3UL, x.U64(0));
        Assert.Equal(0xfffu, x.U32(32));              // stat.mask
        Assert.Equal(1234UL, x.U64(32 + 80));         // stat.btime.tv_sec
        Assert.Equal((2UL, (ulong?)42, 0x2000u, 0xfffu), fs.StatxCall);
    }

    [Fact]
    public void Ioctl_AnswersIoctlOutThenTheOutput_AndRefusesAnOverlongAnswer()
    {
        var fs = new MemFs(new MemFsOptions());
        using var h = new Harness(fs);
        h.Init();
        // fuse_ioctl_in: fh, flags, cmd, arg, in_size, out_size. FS_IOC_SETFLAGS (immutable: root only) on the root, then GETFLAGS.
        var set = h.Call(new Req(Opcode.Ioctl, 5, 1) { Uid = 0 }.U64(0).U32(0x10).U32(0x40086602).U64(0).U32(4).U32(0).U32(0x10));
        Assert.Equal(0, set.Error);
        Assert.Equal(16u + 16, set.Len);             // fuse_ioctl_out only: result 0, no output
        var get = h.Call(new Req(Opcode.Ioctl, 6, 1).U64(0).U32(0x10).U32(0x80086601).U64(0).U32(0).U32(4));
        Assert.Equal(0, get.Error);
        Assert.Equal(16u + 16 + 4, get.Len);
        Assert.Equal(0u, get.U32(0));                // result
        Assert.Equal(0x10u, get.U32(16));            // the flags
        // in_size larger than the payload: a broken request.
        var bad = h.Call(new Req(Opcode.Ioctl, 7, 1).U64(0).U32(0).U32(0x40086602).U64(0).U32(64).U32(0).U32(1));
        Assert.Equal(-Errno.EINVAL, bad.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
        // A command MemFs does not know.
        Assert.Equal(-Errno.ENOTTY, h.Call(new Req(Opcode.Ioctl, 8, 1).U64(0).U32(0).U32(0x5401).U64(0).U32(0).U32(0)).Error);
    }
}
