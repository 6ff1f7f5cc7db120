// Directory listing records (READDIR / READDIRPLUS); the name bytes follow the fixed part and are padded to 8 bytes.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseDirent
{
    /// <summary>Size of the fixed part (the name is a flexible array member, not a field).</summary>
    public const int Size = 24;

    /// <summary>FUSE_NAME_OFFSET: offset of the name bytes.</summary>
    public const int NameOffset = 24;

    public ulong Ino;
    public ulong Off;
    public uint Namelen;
    public uint Type;

    /// <summary>FUSE_DIRENT_SIZE: record size for a name of <paramref name="nameLen"/> bytes, 8-byte aligned.</summary>
    public static int AlignedSize(int nameLen) => (NameOffset + nameLen + 7) & ~7;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseDirentplus
{
    /// <summary>Size of the fixed part (entry_out + dirent header).</summary>
    public const int Size = 152;

    /// <summary>FUSE_NAME_OFFSET_DIRENTPLUS: offset of the name bytes.</summary>
    public const int NameOffset = 152;

    public FuseEntryOut EntryOut;
    public FuseDirent Dirent;

    /// <summary>FUSE_DIRENTPLUS_SIZE: record size for a name of <paramref name="nameLen"/> bytes, 8-byte aligned.</summary>
    public static int AlignedSize(int nameLen) => (NameOffset + nameLen + 7) & ~7;
}
