// Unsolicited notification payloads (server -> kernel) and the retrieve reply (kernel -> server).
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyPollWakeupOut
{
    public const int Size = 8;

    public ulong Kh;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalInodeOut
{
    public const int Size = 24;

    public ulong Ino;
    public long Off;
    public long Len;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalEntryOut
{
    public const int Size = 16;

    public ulong Parent;
    public uint Namelen;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyDeleteOut
{
    public const int Size = 24;

    public ulong Parent;
    public ulong Child;
    public uint Namelen;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyStoreOut
{
    public const int StructSize = 24;

    public ulong Nodeid;
    public ulong Offset;
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyRetrieveOut
{
    public const int StructSize = 32;

    public ulong NotifyUnique;
    public ulong Nodeid;
    public ulong Offset;
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyRetrieveIn
{
    public const int StructSize = 40;

    public ulong Dummy1;
    public ulong Offset;
    public uint Size;
    public uint Dummy2;
    public ulong Dummy3;
    public ulong Dummy4;
}

/// <summary>FUSE_NOTIFY_PRUNE payload (Linux 6.19 header, protocol 7.45); followed by Count u64 node ids.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyPruneOut
{
    public const int Size = 16;

    public uint Count;
    public uint Padding;
    public ulong Spare;
}
