// Lookup/attribute/forget payloads: entry and attr replies, getattr/statx requests, forget requests.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_entry_out: the answer to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE and TMPFILE: a node, its
/// attributes, and how long the kernel may cache them.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseEntryOut
{
    /// <summary>sizeof(struct fuse_entry_out).</summary>
    public const int Size = 128;

    /// <summary>The node id the kernel uses for the inode from now on. Each reply with a non-zero id counts one lookup,
    /// which FORGET gives back; 0 in a LOOKUP reply is a negative entry (no such name), cached for
    /// <see cref="EntryValid"/>.</summary>
    public ulong Nodeid;
    /// <summary>Inode generation: node id and generation together must be unique for the filesystem's lifetime (file
    /// handles hold both).</summary>
    public ulong Generation;
    /// <summary>How long the kernel may cache the name's answer, in seconds.</summary>
    public ulong EntryValid;
    /// <summary>How long the kernel may cache <see cref="Attr"/>, in seconds.</summary>
    public ulong AttrValid;
    /// <summary>Nanoseconds of <see cref="EntryValid"/>.</summary>
    public uint EntryValidNsec;
    /// <summary>Nanoseconds of <see cref="AttrValid"/>.</summary>
    public uint AttrValidNsec;
    /// <summary>The node's attributes.</summary>
    public FuseAttr Attr;
}

/// <summary>struct fuse_forget_in: FORGET (no reply).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetIn
{
    /// <summary>sizeof(struct fuse_forget_in).</summary>
    public const int Size = 8;

    /// <summary>How many lookups of the header's node the kernel gives back.</summary>
    public ulong Nlookup;
}

/// <summary>struct fuse_forget_one: one node of a BATCH_FORGET.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetOne
{
    /// <summary>sizeof(struct fuse_forget_one).</summary>
    public const int Size = 16;

    /// <summary>The node.</summary>
    public ulong Nodeid;
    /// <summary>How many of its lookups the kernel gives back.</summary>
    public ulong Nlookup;
}

/// <summary>struct fuse_batch_forget_in: BATCH_FORGET (no reply); <see cref="Count"/> <see cref="FuseForgetOne"/>
/// follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBatchForgetIn
{
    /// <summary>sizeof(struct fuse_batch_forget_in).</summary>
    public const int Size = 8;

    /// <summary>How many nodes follow.</summary>
    public uint Count;
    /// <summary>Unused, zero.</summary>
    public uint Dummy;
}

/// <summary>struct fuse_getattr_in: GETATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetattrIn
{
    /// <summary>sizeof(struct fuse_getattr_in).</summary>
    public const int Size = 16;

    /// <see cref="Kernel.GetattrFlags"/>: Fh when <see cref="Fh"/> is valid (fstat(2) on an open file).
    public uint GetattrFlags;
    /// <summary>Unused, zero.</summary>
    public uint Dummy;
    /// <summary>The open file's handle, when <see cref="GetattrFlags"/> says so.</summary>
    public ulong Fh;
}

/// <summary>struct fuse_attr_out: the answer to GETATTR and SETATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAttrOut
{
    /// <summary>sizeof(struct fuse_attr_out).</summary>
    public const int Size = 104;

    /// <summary>How long the kernel may cache <see cref="Attr"/>, in seconds.</summary>
    public ulong AttrValid;
    /// <summary>Nanoseconds of <see cref="AttrValid"/>.</summary>
    public uint AttrValidNsec;
    /// <summary>Unused, zero.</summary>
    public uint Dummy;
    /// <summary>The node's attributes.</summary>
    public FuseAttr Attr;
}

/// <summary>struct fuse_statx_in: STATX.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseStatxIn
{
    /// <summary>sizeof(struct fuse_statx_in).</summary>
    public const int Size = 24;

    /// <see cref="Kernel.GetattrFlags"/>, as in GETATTR.
    public uint GetattrFlags;
    /// <summary>Unused, zero.</summary>
    public uint Reserved;
    /// <summary>The open file's handle, when <see cref="GetattrFlags"/> says so.</summary>
    public ulong Fh;
    /// <summary>statx(2)'s flags (AT_STATX_SYNC_AS_STAT, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC).</summary>
    public uint SxFlags;
    /// <summary>The STATX_* fields the caller asked for.</summary>
    public uint SxMask;
}

/// <summary>struct fuse_statx_out: the answer to STATX.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseStatxOut
{
    /// <summary>sizeof(struct fuse_statx_out).</summary>
    public const int Size = 288;

    /// <summary>How long the kernel may cache the attributes, in seconds.</summary>
    public ulong AttrValid;
    /// <summary>Nanoseconds of <see cref="AttrValid"/>.</summary>
    public uint AttrValidNsec;
    /// <summary>Unused, zero (no flags are defined).</summary>
    public uint Flags;
    /// <summary>Unused, zero.</summary>
    public fixed ulong Spare[2];
    /// <summary>The attributes; its Mask says which are filled in.</summary>
    public FuseStatx Stat;
}
