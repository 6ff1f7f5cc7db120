// Assorted small request/reply payloads: statfs, xattr, access, locks, interrupt, bmap.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_statfs_out: the answer to STATFS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseStatfsOut
{
    /// <summary>sizeof(struct fuse_statfs_out).</summary>
    public const int Size = 80;

    /// <summary>The filesystem's statistics.</summary>
    public FuseKstatfs St;
}

/// <summary>struct fuse_setxattr_in: SETXATTR; the name (NUL-terminated) and the value follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSetxattrIn
{
    /// <summary>sizeof(struct fuse_setxattr_in) with FUSE_SETXATTR_EXT; without it the kernel sends the first 8 bytes
    /// (<see cref="FuseConstants.CompatSetxattrInSize"/>).</summary>
    public const int StructSize = 16;

    /// <summary>Length of the value in bytes.</summary>
    public uint Size;
    /// <summary>setxattr(2)'s flags: <see cref="Linux.XATTR_CREATE"/>, <see cref="Linux.XATTR_REPLACE"/>.</summary>
    public uint Flags;
    /// <see cref="Kernel.SetxattrFlags"/> (with FUSE_SETXATTR_EXT).
    public uint SetxattrFlags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_getxattr_in: GETXATTR (the name follows) and LISTXATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetxattrIn
{
    /// <summary>sizeof(struct fuse_getxattr_in).</summary>
    public const int StructSize = 8;

    /// <summary>Size of the caller's buffer; 0 asks only for the size of the value (or list).</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_getxattr_out: the answer to a GETXATTR or LISTXATTR of size 0.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetxattrOut
{
    /// <summary>sizeof(struct fuse_getxattr_out).</summary>
    public const int StructSize = 8;

    /// <summary>Size of the value (or of the list of names).</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_access_in: ACCESS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAccessIn
{
    /// <summary>sizeof(struct fuse_access_in).</summary>
    public const int Size = 8;

    /// <summary>access(2)'s mask: <see cref="Linux.F_OK"/>, or <see cref="Linux.R_OK"/>, <see cref="Linux.W_OK"/> and
    /// <see cref="Linux.X_OK"/> bits.</summary>
    public uint Mask;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_lk_in: GETLK, SETLK and SETLKW.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLkIn
{
    /// <summary>sizeof(struct fuse_lk_in).</summary>
    public const int Size = 48;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>The lock owner.</summary>
    public ulong Owner;
    /// <summary>The lock asked about (GETLK) or to take or release (SETLK, SETLKW).</summary>
    public FuseFileLock Lk;
    /// <see cref="Kernel.LkFlags"/>: Flock for a flock(2) lock, else a POSIX lock.
    public uint LkFlags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_lk_out: the answer to GETLK.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLkOut
{
    /// <summary>sizeof(struct fuse_lk_out).</summary>
    public const int Size = 24;

    /// <summary>A lock that conflicts with the one asked about, or one of type <see cref="Linux.F_UNLCK"/> when none
    /// does.</summary>
    public FuseFileLock Lk;
}

/// <summary>struct fuse_interrupt_in: INTERRUPT.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseInterruptIn
{
    /// <summary>sizeof(struct fuse_interrupt_in).</summary>
    public const int Size = 8;

    /// <summary>The id of the request to interrupt.</summary>
    public ulong Unique;
}

/// <summary>struct fuse_bmap_in: BMAP (block mapping, for fuseblk filesystems).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBmapIn
{
    /// <summary>sizeof(struct fuse_bmap_in).</summary>
    public const int Size = 16;

    /// <summary>Block number in the file.</summary>
    public ulong Block;
    /// <summary>Block size in bytes.</summary>
    public uint Blocksize;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_bmap_out: the answer to BMAP.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBmapOut
{
    /// <summary>sizeof(struct fuse_bmap_out).</summary>
    public const int Size = 8;

    /// <summary>Block number on the device.</summary>
    public ulong Block;
}
