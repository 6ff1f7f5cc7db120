// Directory listing records (READDIR / READDIRPLUS); the name bytes follow the fixed part and are padded to 8 bytes.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_dirent: one READDIR entry. The name's bytes follow it, then zeros up to a multiple of
/// 8.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseDirent
{
    /// <summary>Size of the fixed part (the name is a flexible array member, not a field).</summary>
    public const int Size = 24;

    /// <summary>FUSE_NAME_OFFSET: offset of the name bytes.</summary>
    public const int NameOffset = 24;

    /// <summary>Inode number of the entry (d_ino).</summary>
    public ulong Ino;
    /// <summary>Offset of the next entry: what the kernel sends in the READDIR that continues after this one.</summary>
    public ulong Off;
    /// <summary>Length of the name in bytes.</summary>
    public uint Namelen;
    /// <summary>File type (DT_*: <see cref="Linux.DT_REG"/>, <see cref="Linux.DT_DIR"/>…), or
    /// <see cref="Linux.DT_UNKNOWN"/>.</summary>
    public uint Type;

    /// <summary>FUSE_DIRENT_SIZE: record size for a name of <paramref name="nameLen"/> bytes, 8-byte aligned.</summary>
    public static int AlignedSize(int nameLen) => (NameOffset + nameLen + 7) & ~7;
}

/// <summary>struct fuse_direntplus: one READDIRPLUS entry: the entry as LOOKUP would answer it, then the dirent and its
/// name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseDirentplus
{
    /// <summary>Size of the fixed part (entry_out + dirent header).</summary>
    public const int Size = 152;

    /// <summary>FUSE_NAME_OFFSET_DIRENTPLUS: offset of the name bytes.</summary>
    public const int NameOffset = 152;

    /// <summary>The entry and its attributes; a node id of 0 gives the name without an entry (the kernel looks it
    /// up).</summary>
    public FuseEntryOut EntryOut;
    /// <summary>The directory entry.</summary>
    public FuseDirent Dirent;

    /// <summary>FUSE_DIRENTPLUS_SIZE: record size for a name of <paramref name="nameLen"/> bytes, 8-byte aligned.</summary>
    public static int AlignedSize(int nameLen) => (NameOffset + nameLen + 7) & ~7;
}
