using System.Buffers.Binary;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Inode flags (chattr/lsattr: FS_IOC_GETFLAGS/SETFLAGS through FUSE_IOCTL), the ones tmpfs keeps: immutable,
// append-only, nodump, noatime. The kernel knows nothing of them on a FUSE inode (it never sets S_IMMUTABLE or
// S_APPEND), so every rule the VFS applies to such inodes on ext4 is applied here: Permitted answers EPERM for any
// write to an immutable node, and the checks below cover what an append-only one refuses.
public sealed partial class MemFs
{
    internal const uint FsImmutable = 0x10, FsAppend = 0x20, FsNodump = 0x40, FsNoatime = 0x80;
    private const uint FsSettable = FsImmutable | FsAppend | FsNodump | FsNoatime;
    /// <summary>_IOR('f', 1, long), _IOW('f', 2, long) and their 32-bit (int) forms; the kernel's own fileattr
    /// calls use the long-sized numbers with a 4-byte argument.</summary>
    private const uint FsIocGetflags = 0x80086601, FsIocSetflags = 0x40086602, FsIoc32Getflags = 0x80046601, FsIoc32Setflags = 0x40046602;
    /// <summary>FS_IOC_FSGETXATTR/FSSETXATTR: struct fsxattr (28 bytes, xflags first). The kernel asks it for the old
    /// attributes before every SETFLAGS (vfs_fileattr_set), so chattr needs it too.</summary>
    internal const uint FsIocFsGetXattr = 0x801c581f, FsIocFsSetXattr = 0x401c5820;
    internal const int FsxattrSize = 28;
    private const uint XflagImmutable = 0x8, XflagAppend = 0x10, XflagNoatime = 0x40, XflagNodump = 0x80;

    public int Ioctl(in RequestContext ctx, ulong nodeId, ulong fh, uint flags, uint cmd, ulong arg, ReadOnlySpan<byte> input, Span<byte> output, out int result, out int written)
    {
        result = 0;
        written = 0;
        if (!_table.TryGet(nodeId, out var n)) return Errno.ENOENT;
        switch (cmd)
        {
            case FsIocGetflags or FsIoc32Getflags:
                if (output.Length < 4) return Errno.EINVAL;
                BinaryPrimitives.WriteUInt32LittleEndian(output, n.Flags);
                written = 4;
                return Status.Ok;
            case FsIocSetflags or FsIoc32Setflags:
                if (input.Length < 4) return Errno.EINVAL;
                return SetFlags(in ctx, n, BinaryPrimitives.ReadUInt32LittleEndian(input));
            case FsIocFsGetXattr:
                if (output.Length < FsxattrSize) return Errno.EINVAL;
                BinaryPrimitives.WriteUInt32LittleEndian(output, ToXflags(n.Flags));
                written = FsxattrSize;
                return Status.Ok;
            case FsIocFsSetXattr:
                if (input.Length < FsxattrSize) return Errno.EINVAL;
                uint x = BinaryPrimitives.ReadUInt32LittleEndian(input);
                if ((x & ~(XflagImmutable | XflagAppend | XflagNoatime | XflagNodump)) != 0) return Errno.EOPNOTSUPP;
                return SetFlags(in ctx, n, FromXflags(x));
            default:
                return Errno.ENOTTY;
        }
    }

    private static uint ToXflags(uint f) =>
        ((f & FsImmutable) != 0 ? XflagImmutable : 0) | ((f & FsAppend) != 0 ? XflagAppend : 0) |
        ((f & FsNoatime) != 0 ? XflagNoatime : 0) | ((f & FsNodump) != 0 ? XflagNodump : 0);

    private static uint FromXflags(uint x) =>
        ((x & XflagImmutable) != 0 ? FsImmutable : 0) | ((x & XflagAppend) != 0 ? FsAppend : 0) |
        ((x & XflagNoatime) != 0 ? FsNoatime : 0) | ((x & XflagNodump) != 0 ? FsNodump : 0);

    /// <summary>As ext4 and tmpfs: the owner (or root) sets flags; only root (CAP_LINUX_IMMUTABLE) changes
    /// immutable or append-only; a flag MemFs does not keep is EOPNOTSUPP. ctime changes.</summary>
    private static int SetFlags(in RequestContext ctx, MemNode n, uint wanted)
    {
        lock (n)
        {
            if (ctx.Uid != 0 && ctx.Uid != n.Uid) return Errno.EPERM;
            if ((wanted & ~FsSettable) != 0) return Errno.EOPNOTSUPP;
            if (((wanted ^ n.Flags) & (FsImmutable | FsAppend)) != 0 && ctx.Uid != 0) return Errno.EPERM;
            n.Flags = wanted;
            n.Ctime = Timespec.Now();
        }
        return Status.Ok;
    }

    /// <summary>Neither removed, renamed, linked nor its attributes or xattrs changed: immutable or append-only.</summary>
    private static bool Pinned(MemNode n) => (n.Flags & (FsImmutable | FsAppend)) != 0;

    /// <summary>may_delete's rules past the permission check: nothing leaves an append-only directory, and an
    /// immutable or append-only node keeps its names.</summary>
    private static int DeleteDenied(DirNode dir, MemNode victim) =>
        (dir.Flags & FsAppend) != 0 || Pinned(victim) ? Errno.EPERM : Status.Ok;

    /// <summary>may_open on an append-only file: writing only with O_APPEND, never O_TRUNC.</summary>
    private static int AppendOpenDenied(MemNode n, int flags) =>
        (n.Flags & FsAppend) != 0 && (((flags & 3) != 0 && (flags & O_APPEND) == 0) || (flags & O_TRUNC) != 0)
            ? Errno.EPERM : Status.Ok;
}
