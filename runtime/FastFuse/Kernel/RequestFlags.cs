// Small per-request flag sets from the header (setattr valid mask, getattr/release/read/write/fsync/lock/poll/... flags).
namespace FastFuse.Kernel;

/// <summary>FATTR_*: bits of fuse_setattr_in.valid.</summary>
[Flags]
public enum SetattrValid : uint
{
    /// <summary>No field is set.</summary>
    None = 0,
    /// <summary>FATTR_MODE: set the mode.</summary>
    Mode = 1u << 0,
    /// <summary>FATTR_UID: set the owner.</summary>
    Uid = 1u << 1,
    /// <summary>FATTR_GID: set the group.</summary>
    Gid = 1u << 2,
    /// <summary>FATTR_SIZE: set the size (truncate).</summary>
    Size = 1u << 3,
    /// <summary>FATTR_ATIME: set the access time.</summary>
    Atime = 1u << 4,
    /// <summary>FATTR_MTIME: set the modification time.</summary>
    Mtime = 1u << 5,
    /// <summary>FATTR_FH: fuse_setattr_in.fh holds the open file's handle.</summary>
    Fh = 1u << 6,
    /// <summary>FATTR_ATIME_NOW: set the access time to now (utimensat's UTIME_NOW).</summary>
    AtimeNow = 1u << 7,
    /// <summary>FATTR_MTIME_NOW: set the modification time to now.</summary>
    MtimeNow = 1u << 8,
    /// <summary>FATTR_LOCKOWNER: fuse_setattr_in.lock_owner is valid.</summary>
    LockOwner = 1u << 9,
    /// <summary>FATTR_CTIME: set the status change time.</summary>
    Ctime = 1u << 10,
    /// <summary>FATTR_KILL_SUIDGID: clear suid and sgid too (with FUSE_HANDLE_KILLPRIV_V2).</summary>
    KillSuidgid = 1u << 11,
}

/// <summary>FUSE_GETATTR_*: fuse_getattr_in.getattr_flags.</summary>
[Flags]
public enum GetattrFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_GETATTR_FH: fuse_getattr_in.fh holds the open file's handle.</summary>
    Fh = 1u << 0,
}

/// <summary>FUSE_RELEASE_*: fuse_release_in.release_flags.</summary>
[Flags]
public enum ReleaseFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_RELEASE_FLUSH: flush the file as part of the release.</summary>
    Flush = 1u << 0,
    /// <summary>FUSE_RELEASE_FLOCK_UNLOCK: release the flock(2) locks of fuse_release_in.lock_owner.</summary>
    FlockUnlock = 1u << 1,
}

/// <summary>FUSE_WRITE_*: fuse_write_in.write_flags.</summary>
[Flags]
public enum WriteFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_WRITE_CACHE: a delayed write from the page cache; the file handle is guessed.</summary>
    Cache = 1u << 0,
    /// <summary>FUSE_WRITE_LOCKOWNER: fuse_write_in.lock_owner is valid.</summary>
    Lockowner = 1u << 1,
    /// <summary>FUSE_WRITE_KILL_SUIDGID: clear suid and sgid (the writer lacks CAP_FSETID).</summary>
    KillSuidgid = 1u << 2,

    /// <summary>Obsolete header alias of <see cref="KillSuidgid"/>.</summary>
    KillPriv = KillSuidgid,
}

/// <summary>FUSE_READ_*: fuse_read_in.read_flags.</summary>
[Flags]
public enum ReadFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_READ_LOCKOWNER: fuse_read_in.lock_owner is valid.</summary>
    Lockowner = 1u << 1,
}

/// <summary>FUSE_FSYNC_*: fuse_fsync_in.fsync_flags.</summary>
[Flags]
public enum FsyncFlags : uint
{
    /// <summary>No flag: data and metadata.</summary>
    None = 0,
    /// <summary>FUSE_FSYNC_FDATASYNC: the data only, not the metadata (fdatasync(2)).</summary>
    Fdatasync = 1u << 0,
}

/// <summary>FUSE_SETXATTR_*: fuse_setxattr_in.setxattr_flags.</summary>
[Flags]
public enum SetxattrFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_SETXATTR_ACL_KILL_SGID: clear sgid when system.posix_acl_access is set.</summary>
    AclKillSgid = 1u << 0,
}

/// <summary>FUSE_LK_*: fuse_lk_in.lk_flags.</summary>
[Flags]
public enum LkFlags : uint
{
    /// <summary>No flag: a POSIX record lock.</summary>
    None = 0,
    /// <summary>FUSE_LK_FLOCK: a flock(2) lock.</summary>
    Flock = 1u << 0,
}

/// <summary>FUSE_IOCTL_*: fuse_ioctl_in.flags / fuse_ioctl_out.flags.</summary>
[Flags]
public enum IoctlFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_IOCTL_COMPAT: a 32-bit compat ioctl on a 64-bit machine.</summary>
    Compat = 1u << 0,
    /// <summary>FUSE_IOCTL_UNRESTRICTED: not restricted to well-formed ioctls; retry allowed (CUSE).</summary>
    Unrestricted = 1u << 1,
    /// <summary>FUSE_IOCTL_RETRY: in an answer: send the ioctl again with the memory ranges that follow.</summary>
    Retry = 1u << 2,
    /// <summary>FUSE_IOCTL_32BIT.</summary>
    Bit32 = 1u << 3,
    /// <summary>FUSE_IOCTL_DIR: the ioctl is on a directory.</summary>
    Dir = 1u << 4,
    /// <summary>FUSE_IOCTL_COMPAT_X32: an x32 compat ioctl on a 64-bit machine (64-bit time_t).</summary>
    CompatX32 = 1u << 5,
}

/// <summary>FUSE_POLL_*: fuse_poll_in.flags.</summary>
[Flags]
public enum PollFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_POLL_SCHEDULE_NOTIFY: the caller will wait: send FUSE_NOTIFY_POLL for fuse_poll_in.kh once the
    /// file is ready.</summary>
    ScheduleNotify = 1u << 0,
}

/// <summary>FUSE_ATTR_*: fuse_attr.flags.</summary>
[Flags]
public enum AttrFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_ATTR_SUBMOUNT: the node is the root of a submount.</summary>
    Submount = 1u << 0,
    /// <summary>FUSE_ATTR_DAX: use DAX for this file, in per-inode DAX mode.</summary>
    Dax = 1u << 1,
}

/// <summary>FUSE_EXPIRE_ONLY: fuse_notify_inval_entry_out.flags.</summary>
[Flags]
public enum NotifyInvalEntryFlags : uint
{
    /// <summary>No flag: the entry is dropped.</summary>
    None = 0,
    /// <summary>FUSE_EXPIRE_ONLY: the entry is only marked expired: the next lookup asks again, a process that holds it
    /// goes on using it.</summary>
    ExpireOnly = 1u << 0,
}

/// <summary>CUSE_*: cuse_init_in/out.flags.</summary>
[Flags]
public enum CuseInitFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>CUSE_UNRESTRICTED_IOCTL: unrestricted ioctls.</summary>
    UnrestrictedIoctl = 1u << 0,
}

/// <summary>FUSE_SETUPMAPPING_FLAG_*: fuse_setupmapping_in.flags.</summary>
[Flags]
public enum SetupmappingFlags : ulong
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_SETUPMAPPING_FLAG_WRITE: map for writing.</summary>
    Write = 1UL << 0,
    /// <summary>FUSE_SETUPMAPPING_FLAG_READ: map for reading.</summary>
    Read = 1UL << 1,
}
