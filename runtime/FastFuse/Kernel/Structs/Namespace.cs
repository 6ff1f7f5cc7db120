// Namespace-changing requests: mknod, mkdir, rename, rename2, link, setattr.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_mknod_in: MKNOD; the new name follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseMknodIn
{
    /// <summary>sizeof(struct fuse_mknod_in).</summary>
    public const int Size = 16;

    /// <summary>File type and permission bits of the new node.</summary>
    public uint Mode;
    /// <summary>Device number of a new device node (new_encode_dev form).</summary>
    public uint Rdev;
    /// <summary>The caller's umask; the kernel has already applied it to <see cref="Mode"/> unless FUSE_DONT_MASK was
    /// agreed.</summary>
    public uint Umask;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_mkdir_in: MKDIR; the new name follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseMkdirIn
{
    /// <summary>sizeof(struct fuse_mkdir_in).</summary>
    public const int Size = 8;

    /// <summary>Permission bits of the new directory.</summary>
    public uint Mode;
    /// <summary>The caller's umask; the kernel has already applied it to <see cref="Mode"/> unless FUSE_DONT_MASK was
    /// agreed.</summary>
    public uint Umask;
}

/// <summary>struct fuse_rename_in: RENAME; the old name and the new name follow, each NUL-terminated.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRenameIn
{
    /// <summary>sizeof(struct fuse_rename_in).</summary>
    public const int Size = 8;

    /// <summary>The directory the entry moves to.</summary>
    public ulong Newdir;
}

/// <summary>struct fuse_rename2_in: RENAME2 (renameat2(2)); the old name and the new name follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRename2In
{
    /// <summary>sizeof(struct fuse_rename2_in).</summary>
    public const int Size = 16;

    /// <summary>The directory the entry moves to.</summary>
    public ulong Newdir;
    /// <see cref="Linux.RENAME_NOREPLACE"/>, <see cref="Linux.RENAME_EXCHANGE"/>, <see cref="Linux.RENAME_WHITEOUT"/>.
    public uint Flags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_link_in: LINK; the header's node is the directory and the new name follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLinkIn
{
    /// <summary>sizeof(struct fuse_link_in).</summary>
    public const int Size = 8;

    /// <summary>The node that gets the new name.</summary>
    public ulong Oldnodeid;
}

/// <summary>struct fuse_setattr_in: SETATTR (chmod, chown, truncate, utimes…).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSetattrIn
{
    /// <summary>sizeof(struct fuse_setattr_in).</summary>
    public const int StructSize = 88;

    /// <see cref="SetattrValid"/>: which of the fields below to apply.
    public uint Valid;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
    /// <summary>The open file's handle (with <see cref="SetattrValid.Fh"/>: ftruncate, fchmod…).</summary>
    public ulong Fh;
    /// <summary>The new size (with <see cref="SetattrValid.Size"/>).</summary>
    public ulong Size;
    /// <summary>The caller's lock owner (with <see cref="SetattrValid.LockOwner"/>).</summary>
    public ulong LockOwner;
    /// <summary>The new access time, in seconds since the epoch (with <see cref="SetattrValid.Atime"/>).</summary>
    public ulong Atime;
    /// <summary>The new modification time, in seconds since the epoch (with
    /// <see cref="SetattrValid.Mtime"/>).</summary>
    public ulong Mtime;
    /// <summary>The new status change time, in seconds since the epoch (with
    /// <see cref="SetattrValid.Ctime"/>).</summary>
    public ulong Ctime;
    /// <summary>Nanoseconds of <see cref="Atime"/>.</summary>
    public uint Atimensec;
    /// <summary>Nanoseconds of <see cref="Mtime"/>.</summary>
    public uint Mtimensec;
    /// <summary>Nanoseconds of <see cref="Ctime"/>.</summary>
    public uint Ctimensec;
    /// <summary>The new mode (with <see cref="SetattrValid.Mode"/>).</summary>
    public uint Mode;
    /// <summary>Unused, zero.</summary>
    public uint Unused4;
    /// <summary>The new owner (with <see cref="SetattrValid.Uid"/>).</summary>
    public uint Uid;
    /// <summary>The new group (with <see cref="SetattrValid.Gid"/>).</summary>
    public uint Gid;
    /// <summary>Unused, zero.</summary>
    public uint Unused5;
}
