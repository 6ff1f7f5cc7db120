using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Inode flags (chattr/lsattr) go to the source file: its own filesystem keeps and enforces them (an immutable file
// on ext4 refuses the daemon's writes as it refuses anyone's). Only FS_IOC_GETFLAGS/SETFLAGS are forwarded, on the
// open file's own descriptor and as the caller; any other command is ENOTTY (an arbitrary ioctl on the daemon's
// descriptor, with the daemon's privileges, is not a loopback's to pass on).
public sealed partial class LoopbackFs
{
    private const uint FsIocGetflags = 0x80086601, FsIocSetflags = 0x40086602, FsIoc32Getflags = 0x80046601, FsIoc32Setflags = 0x40046602;

    public unsafe int Ioctl(in RequestContext ctx, ulong nodeId, ulong fh, uint flags, uint cmd, ulong arg, ReadOnlySpan<byte> input, Span<byte> output, out int result, out int written)
    {
        result = 0;
        written = 0;
        // The command as the source is asked (the native numbers: the 32-bit ones exist only for compat callers,
        // and FS_IOC_GETFLAGS moves an int whatever its number says), the bytes it reads and the bytes it writes.
        (uint source, int inBytes, int outBytes) = cmd switch
        {
            FsIocGetflags or FsIoc32Getflags => (FsIocGetflags, 0, 4),
            FsIocSetflags or FsIoc32Setflags => (FsIocSetflags, 4, 0),
            MemFs.FsIocFsGetXattr => (MemFs.FsIocFsGetXattr, 0, MemFs.FsxattrSize),
            MemFs.FsIocFsSetXattr => (MemFs.FsIocFsSetXattr, MemFs.FsxattrSize, 0),
            _ => (0u, 0, 0),
        };
        if (source == 0) return Errno.ENOTTY;
        if (input.Length < inBytes || output.Length < outBytes) return Errno.EINVAL;
        byte* buf = stackalloc byte[32];
        new Span<byte>(buf, 32).Clear();
        input[..inBytes].CopyTo(new Span<byte>(buf, 32));
        int r;
        using (Become(in ctx))
        {
            // Safe: buf is 32 bytes on this frame; the commands above read or write at most 28 (struct fsxattr).
            r = Interop.Libc.Ioctl((int)fh, source, buf);
        }
        if (r < 0) return Native.LoopSys.LastErrno();
        new ReadOnlySpan<byte>(buf, outBytes).CopyTo(output);
        written = outBytes;
        return Status.Ok;
    }
}
