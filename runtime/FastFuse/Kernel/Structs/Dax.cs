// DAX mapping, syncfs and passthrough backing-file payloads.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseSetupmappingIn
{
    public const int Size = 40;

    public ulong Fh;
    public ulong Foffset;
    public ulong Len;
    public ulong Flags;
    public ulong Moffset;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseRemovemappingIn
{
    public const int Size = 4;

    public uint Count;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseRemovemappingOne
{
    public const int Size = 16;

    public ulong Moffset;
    public ulong Len;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseSyncfsIn
{
    public const int Size = 8;

    public ulong Padding;
}

/// <summary>Argument of the FUSE_DEV_IOC_BACKING_OPEN ioctl.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBackingMap
{
    public const int Size = 16;

    public int Fd;
    public uint Flags;
    public ulong Padding;
}
