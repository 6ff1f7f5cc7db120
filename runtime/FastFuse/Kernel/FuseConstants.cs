// Scalar constants of the FUSE kernel protocol (versions, ids, compat sizes, limits).
namespace FastFuse.Kernel;

/// <summary>Scalar constants of the FUSE protocol: versions, ids, compat sizes and limits.</summary>
public static class FuseConstants
{
    /// <summary>FUSE_KERNEL_VERSION: the protocol's major version.</summary>
    public const uint KernelVersion = 7;
    /// <summary>FUSE_KERNEL_MINOR_VERSION: the minor version FastFuse speaks.</summary>
    public const uint KernelMinorVersion = 45;

    /// <summary>FUSE_ROOT_ID: the node id of the root directory.</summary>
    public const ulong RootId = 1;
    /// <summary>__FMODE_EXEC (include/linux/fs.h, kernel-internal: no uapi header has it): set in the flags of the
    /// OPEN the kernel sends when it opens a file for execve. Such an open needs execute permission, not read
    /// permission, as on any local filesystem.</summary>
    public const int OpenFlagExec = 0x20;

    /// <summary>FUSE_MIN_READ_BUFFER: the smallest buffer a read of /dev/fuse may use.</summary>
    public const int MinReadBuffer = 8192;

    /// <summary>FUSE_COMPAT_ENTRY_OUT_SIZE: fuse_entry_out before protocol 7.9.</summary>
    public const int CompatEntryOutSize = 120;
    /// <summary>FUSE_COMPAT_ATTR_OUT_SIZE: fuse_attr_out before protocol 7.9.</summary>
    public const int CompatAttrOutSize = 96;
    /// <summary>FUSE_COMPAT_MKNOD_IN_SIZE: fuse_mknod_in before protocol 7.12 (no umask).</summary>
    public const int CompatMknodInSize = 8;
    /// <summary>FUSE_COMPAT_WRITE_IN_SIZE: fuse_write_in before protocol 7.9.</summary>
    public const int CompatWriteInSize = 24;
    /// <summary>FUSE_COMPAT_STATFS_SIZE: fuse_statfs_out before protocol 7.4 (no frsize).</summary>
    public const int CompatStatfsSize = 48;
    /// <summary>FUSE_COMPAT_SETXATTR_IN_SIZE: fuse_setxattr_in without FUSE_SETXATTR_EXT.</summary>
    public const int CompatSetxattrInSize = 8;
    /// <summary>FUSE_COMPAT_INIT_OUT_SIZE: fuse_init_out before protocol 7.5.</summary>
    public const int CompatInitOutSize = 8;
    /// <summary>FUSE_COMPAT_22_INIT_OUT_SIZE: fuse_init_out up to protocol 7.22.</summary>
    public const int Compat22InitOutSize = 24;

    /// <summary>CUSE_INIT_INFO_MAX: the most bytes of device info after cuse_init_out.</summary>
    public const int CuseInitInfoMax = 4096;
    /// <summary>FUSE_IOCTL_MAX_IOV: the most input and output ranges, together, in an ioctl retry.</summary>
    public const int IoctlMaxIov = 256;

    /// <summary>High bit of fuse_in_header.unique marks a resent request.</summary>
    public const ulong UniqueResend = 1UL << 63;

    /// <summary>uid/gid value sent when an idmapped mount cannot map the caller.</summary>
    public const uint InvalidUidGid = uint.MaxValue;

    /// <summary>FUSE_URING_IN_OUT_HEADER_SZ: room for the in or out header in a fuse-uring entry's header.</summary>
    public const int UringInOutHeaderSz = 128;
    /// <summary>FUSE_URING_OP_IN_OUT_SZ: room for the per-opcode argument struct in a fuse-uring entry's
    /// header.</summary>
    public const int UringOpInOutSz = 128;

    /// <summary>Record alignment (FUSE_REC_ALIGN / FUSE_DIRENT_ALIGN).</summary>
    public const int RecAlign = 8;

    /// <summary>FUSE_REC_ALIGN: <paramref name="size"/> rounded up to the record alignment.</summary>
    public static int AlignRecord(int size) => (size + (RecAlign - 1)) & ~(RecAlign - 1);
}
