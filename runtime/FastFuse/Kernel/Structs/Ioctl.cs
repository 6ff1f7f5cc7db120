// ioctl and poll payloads.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlIn
{
    public const int Size = 32;

    public ulong Fh;
    public uint Flags;
    public uint Cmd;
    public ulong Arg;
    public uint InSize;
    public uint OutSize;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlIovec
{
    public const int Size = 16;

    public ulong Base;
    public ulong Len;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlOut
{
    public const int Size = 16;

    public int Result;
    public uint Flags;
    public uint InIovs;
    public uint OutIovs;
}

[StructLayout(LayoutKind.Sequential)]
public struct FusePollIn
{
    public const int Size = 24;

    public ulong Fh;
    public ulong Kh;
    public uint Flags;
    public uint Events;
}

[StructLayout(LayoutKind.Sequential)]
public struct FusePollOut
{
    public const int Size = 8;

    public uint Revents;
    public uint Padding;
}
