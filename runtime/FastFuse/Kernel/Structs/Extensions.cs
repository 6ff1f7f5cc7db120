// Request extensions appended after the op payload (total_extlen): security contexts and supplementary groups.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseSecctx
{
    public const int StructSize = 8;

    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseSecctxHeader
{
    public const int StructSize = 8;

    public uint Size;
    public uint NrSecctx;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseExtHeader
{
    public const int StructSize = 8;

    public uint Size;
    public uint Type;
}

/// <summary>Fixed part of fuse_supp_groups; NrGroups uint group ids follow (flexible array).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSuppGroups
{
    public const int Size = 4;

    /// <summary>Offset of the groups[] flexible array.</summary>
    public const int GroupsOffset = 4;

    public uint NrGroups;
}
