// Scalar constants of the FUSE kernel protocol (versions, ids, compat sizes, limits).
namespace FastFuse.Kernel;

public static class FuseConstants
{
    public const uint KernelVersion = 7;
    public const uint KernelMinorVersion = 45;

    public const ulong RootId = 1;
    /// <summary>__FMODE_EXEC (include/linux/fs.h, kernel-internal: no uapi header has it): set in the flags of the
    /// OPEN the kernel sends when it opens a file for execve. Such an open needs execute permission, not read
    /// permission, as on any local filesystem.</summary>
    public const int OpenFlagExec = 0x20;

    public const int MinReadBuffer = 8192;

    public const int CompatEntryOutSize = 120;
    public const int CompatAttrOutSize = 96;
    public const int CompatMknodInSize = 8;
    public const int CompatWriteInSize = 24;
    public const int CompatStatfsSize = 48;
    public const int CompatSetxattrInSize = 8;
    public const int CompatInitOutSize = 8;
    public const int Compat22InitOutSize = 24;

    public const int CuseInitInfoMax = 4096;
    public const int IoctlMaxIov = 256;

    /// <summary>High bit of fuse_in_header.unique marks a resent request.</summary>
    public const ulong UniqueResend = 1UL << 63;

    /// <summary>uid/gid value sent when an idmapped mount cannot map the caller.</summary>
    public const uint InvalidUidGid = uint.MaxValue;

    public const int UringInOutHeaderSz = 128;
    public const int UringOpInOutSz = 128;

    /// <summary>Record alignment (FUSE_REC_ALIGN / FUSE_DIRENT_ALIGN).</summary>
    public const int RecAlign = 8;

    public static int AlignRecord(int size) => (size + (RecAlign - 1)) & ~(RecAlign - 1);
}
