// Message headers: fuse_in_header precedes every request, fuse_out_header every reply/notification.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseInHeader
{
    public const int Size = 40;

    public uint Len;
    public uint Opcode;
    public ulong Unique;
    public ulong Nodeid;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtlen;
    public ushort Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseOutHeader
{
    public const int Size = 16;

    public uint Len;
    public int Error;
    public ulong Unique;
}
