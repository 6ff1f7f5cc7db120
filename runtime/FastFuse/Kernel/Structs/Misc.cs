// Assorted small request/reply payloads: statfs, xattr, access, locks, interrupt, bmap.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseStatfsOut
{
    public const int Size = 80;

    public FuseKstatfs St;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseSetxattrIn
{
    public const int StructSize = 16;

    public uint Size;
    public uint Flags;
    public uint SetxattrFlags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetxattrIn
{
    public const int StructSize = 8;

    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetxattrOut
{
    public const int StructSize = 8;

    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseAccessIn
{
    public const int Size = 8;

    public uint Mask;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseLkIn
{
    public const int Size = 48;

    public ulong Fh;
    public ulong Owner;
    public FuseFileLock Lk;
    public uint LkFlags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseLkOut
{
    public const int Size = 24;

    public FuseFileLock Lk;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseInterruptIn
{
    public const int Size = 8;

    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseBmapIn
{
    public const int Size = 16;

    public ulong Block;
    public uint Blocksize;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseBmapOut
{
    public const int Size = 8;

    public ulong Block;
}
