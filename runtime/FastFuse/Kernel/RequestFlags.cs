// Small per-request flag sets from the header (setattr valid mask, getattr/release/read/write/fsync/lock/poll/... flags).
namespace FastFuse.Kernel;

/// <summary>FATTR_*: bits of fuse_setattr_in.valid.</summary>
[Flags]
public enum SetattrValid : uint
{
    None = 0,
    Mode = 1u << 0,
    Uid = 1u << 1,
    Gid = 1u << 2,
    Size = 1u << 3,
    Atime = 1u << 4,
    Mtime = 1u << 5,
    Fh = 1u << 6,
    AtimeNow = 1u << 7,
    MtimeNow = 1u << 8,
    LockOwner = 1u << 9,
    Ctime = 1u << 10,
    KillSuidgid = 1u << 11,
}

/// <summary>FUSE_GETATTR_*: fuse_getattr_in.getattr_flags.</summary>
[Flags]
public enum GetattrFlags : uint
{
    None = 0,
    Fh = 1u << 0,
}

/// <summary>FUSE_RELEASE_*: fuse_release_in.release_flags.</summary>
[Flags]
public enum ReleaseFlags : uint
{
    None = 0,
    Flush = 1u << 0,
    FlockUnlock = 1u << 1,
}

/// <summary>FUSE_WRITE_*: fuse_write_in.write_flags.</summary>
[Flags]
public enum WriteFlags : uint
{
    None = 0,
    Cache = 1u << 0,
    Lockowner = 1u << 1,
    KillSuidgid = 1u << 2,

    /// <summary>Obsolete header alias of <see cref="KillSuidgid"/>.</summary>
    KillPriv = KillSuidgid,
}

/// <summary>FUSE_READ_*: fuse_read_in.read_flags.</summary>
[Flags]
public enum ReadFlags : uint
{
    None = 0,
    Lockowner = 1u << 1,
}

/// <summary>FUSE_FSYNC_*: fuse_fsync_in.fsync_flags.</summary>
[Flags]
public enum FsyncFlags : uint
{
    None = 0,
    Fdatasync = 1u << 0,
}

/// <summary>FUSE_SETXATTR_*: fuse_setxattr_in.setxattr_flags.</summary>
[Flags]
public enum SetxattrFlags : uint
{
    None = 0,
    AclKillSgid = 1u << 0,
}

/// <summary>FUSE_LK_*: fuse_lk_in.lk_flags.</summary>
[Flags]
public enum LkFlags : uint
{
    None = 0,
    Flock = 1u << 0,
}

/// <summary>FUSE_IOCTL_*: fuse_ioctl_in.flags / fuse_ioctl_out.flags.</summary>
[Flags]
public enum IoctlFlags : uint
{
    None = 0,
    Compat = 1u << 0,
    Unrestricted = 1u << 1,
    Retry = 1u << 2,
    /// <summary>FUSE_IOCTL_32BIT.</summary>
    Bit32 = 1u << 3,
    Dir = 1u << 4,
    CompatX32 = 1u << 5,
}

/// <summary>FUSE_POLL_*: fuse_poll_in.flags.</summary>
[Flags]
public enum PollFlags : uint
{
    None = 0,
    ScheduleNotify = 1u << 0,
}

/// <summary>FUSE_ATTR_*: fuse_attr.flags.</summary>
[Flags]
public enum AttrFlags : uint
{
    None = 0,
    Submount = 1u << 0,
    Dax = 1u << 1,
}

/// <summary>FUSE_EXPIRE_ONLY: fuse_notify_inval_entry_out.flags.</summary>
[Flags]
public enum NotifyInvalEntryFlags : uint
{
    None = 0,
    ExpireOnly = 1u << 0,
}

/// <summary>CUSE_*: cuse_init_in/out.flags.</summary>
[Flags]
public enum CuseInitFlags : uint
{
    None = 0,
    UnrestrictedIoctl = 1u << 0,
}

/// <summary>FUSE_SETUPMAPPING_FLAG_*: fuse_setupmapping_in.flags.</summary>
[Flags]
public enum SetupmappingFlags : ulong
{
    None = 0,
    Write = 1UL << 0,
    Read = 1UL << 1,
}
