// Attribute payloads shared by many replies: fuse_attr, fuse_sx_time, fuse_statx, fuse_kstatfs, fuse_file_lock.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_attr: a node's attributes (what stat(2) shows), in entry and attr replies.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    /// <summary>sizeof(struct fuse_attr).</summary>
    public const int StructSize = 88;

    /// <summary>Inode number shown to user space (st_ino); it need not be the node id.</summary>
    public ulong Ino;
    /// <summary>File size in bytes.</summary>
    public ulong Size;
    /// <summary>Space allocated, in 512-byte blocks (st_blocks).</summary>
    public ulong Blocks;
    /// <summary>Last access, in seconds since the epoch.</summary>
    public ulong Atime;
    /// <summary>Last change of the data, in seconds since the epoch.</summary>
    public ulong Mtime;
    /// <summary>Last change of the attributes (status change), in seconds since the epoch.</summary>
    public ulong Ctime;
    /// <summary>Nanoseconds of <see cref="Atime"/>.</summary>
    public uint Atimensec;
    /// <summary>Nanoseconds of <see cref="Mtime"/>.</summary>
    public uint Mtimensec;
    /// <summary>Nanoseconds of <see cref="Ctime"/>.</summary>
    public uint Ctimensec;
    /// <summary>File type and permission bits (st_mode: <see cref="Linux.S_IFMT"/> bits, set-id bits, rwx
    /// bits).</summary>
    public uint Mode;
    /// <summary>Number of hard links.</summary>
    public uint Nlink;
    /// <summary>Owner's user id.</summary>
    public uint Uid;
    /// <summary>Owner's group id.</summary>
    public uint Gid;
    /// <summary>Device number of a character or block device node (st_rdev, in the kernel's new_encode_dev
    /// form).</summary>
    public uint Rdev;
    /// <summary>Preferred I/O block size (st_blksize); 0 lets the kernel use the mount's block size.</summary>
    public uint Blksize;
    /// <see cref="AttrFlags"/>: the node is a submount root, or uses DAX.
    public uint Flags;
}

/// <summary>struct fuse_sx_time: one timestamp of a <see cref="FuseStatx"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSxTime
{
    /// <summary>sizeof(struct fuse_sx_time).</summary>
    public const int Size = 16;

    /// <summary>Seconds since the epoch.</summary>
    public long TvSec;
    /// <summary>Nanoseconds.</summary>
    public uint TvNsec;
    /// <summary>Unused, zero.</summary>
    public int Reserved;
}

/// <summary>struct fuse_statx: the fields of statx(2) a STATX reply carries (struct statx's, in its order).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseStatx
{
    /// <summary>sizeof(struct fuse_statx).</summary>
    public const int StructSize = 256;

    /// <summary>Which fields are filled in (STATX_* bits).</summary>
    public uint Mask;
    /// <summary>Preferred I/O block size.</summary>
    public uint Blksize;
    /// <summary>STATX_ATTR_* flags of the file (immutable, append-only…).</summary>
    public ulong Attributes;
    /// <summary>Number of hard links.</summary>
    public uint Nlink;
    /// <summary>Owner's user id.</summary>
    public uint Uid;
    /// <summary>Owner's group id.</summary>
    public uint Gid;
    /// <summary>File type and permission bits.</summary>
    public ushort Mode;
    /// <summary>Unused, zero.</summary>
    public fixed ushort Spare0[1];
    /// <summary>Inode number.</summary>
    public ulong Ino;
    /// <summary>File size in bytes.</summary>
    public ulong Size;
    /// <summary>Space allocated, in 512-byte blocks.</summary>
    public ulong Blocks;
    /// <summary>Which STATX_ATTR_* bits of <see cref="Attributes"/> the filesystem supports.</summary>
    public ulong AttributesMask;
    /// <summary>Last access.</summary>
    public FuseSxTime Atime;
    /// <summary>Creation (birth) time.</summary>
    public FuseSxTime Btime;
    /// <summary>Last status change.</summary>
    public FuseSxTime Ctime;
    /// <summary>Last change of the data.</summary>
    public FuseSxTime Mtime;
    /// <summary>Major number of a device node.</summary>
    public uint RdevMajor;
    /// <summary>Minor number of a device node.</summary>
    public uint RdevMinor;
    /// <summary>Major number of the device the file lives on (the kernel shows the mount's own device).</summary>
    public uint DevMajor;
    /// <summary>Minor number of the device the file lives on.</summary>
    public uint DevMinor;
    /// <summary>Unused, zero.</summary>
    public fixed ulong Spare2[14];
}

/// <summary>struct fuse_kstatfs: what statfs(2) shows of the filesystem.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseKstatfs
{
    /// <summary>sizeof(struct fuse_kstatfs).</summary>
    public const int Size = 80;

    /// <summary>Total data blocks, in <see cref="Frsize"/> units.</summary>
    public ulong Blocks;
    /// <summary>Free blocks.</summary>
    public ulong Bfree;
    /// <summary>Free blocks available to unprivileged users.</summary>
    public ulong Bavail;
    /// <summary>Total inodes.</summary>
    public ulong Files;
    /// <summary>Free inodes.</summary>
    public ulong Ffree;
    /// <summary>Block size (f_bsize: the preferred transfer size).</summary>
    public uint Bsize;
    /// <summary>Longest file name (f_namelen).</summary>
    public uint Namelen;
    /// <summary>Fragment size (f_frsize): the unit of the block counts.</summary>
    public uint Frsize;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
    /// <summary>Unused, zero.</summary>
    public fixed uint Spare[6];
}

/// <summary>struct fuse_file_lock: a POSIX record lock or a flock(2) lock.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFileLock
{
    /// <summary>sizeof(struct fuse_file_lock).</summary>
    public const int Size = 24;

    /// <summary>First byte of the range.</summary>
    public ulong Start;
    /// <summary>Last byte of the range, inclusive (0x7FFFFFFFFFFFFFFF: to the end of the file, however it
    /// grows).</summary>
    public ulong End;
    /// <see cref="Linux.F_RDLCK"/>, <see cref="Linux.F_WRLCK"/> or <see cref="Linux.F_UNLCK"/>.
    public uint Type;
    /// <summary>Process id (thread group id) of the lock's holder.</summary>
    public uint Pid;
}
