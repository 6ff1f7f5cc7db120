// ioctl request numbers for /dev/fuse (FUSE_DEV_IOC_*), precomputed for x86-64/arm64 _IOC encoding.
namespace FastFuse.Kernel;

/// <summary>ioctl request numbers of /dev/fuse (FUSE_DEV_IOC_*), precomputed for the _IOC encoding of x86-64 and
/// arm64.</summary>
public static class DevIoctl
{
    /// <summary>FUSE_DEV_IOC_MAGIC: the type byte of every /dev/fuse ioctl.</summary>
    public const uint Magic = 229;

    /// <summary>_IOR(229, 0, uint32_t): attach a cloned fd to an existing connection.</summary>
    public const uint Clone = 0x8004E500;

    /// <summary>_IOW(229, 1, struct fuse_backing_map): register a passthrough backing file.</summary>
    public const uint BackingOpen = 0x4010E501;

    /// <summary>_IOW(229, 2, uint32_t): drop a passthrough backing id.</summary>
    public const uint BackingClose = 0x4004E502;

    /// <summary>_IO(229, 3): request synchronous FUSE_INIT (Linux 6.19 header, still 7.45).</summary>
    public const uint SyncInit = 0x0000E503;
}
