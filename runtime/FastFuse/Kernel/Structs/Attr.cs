// Attribute payloads shared by many replies: fuse_attr, fuse_sx_time, fuse_statx, fuse_kstatfs, fuse_file_lock.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    public const int StructSize = 88;

    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint Atimensec;
    public uint Mtimensec;
    public uint Ctimensec;
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public uint Rdev;
    public uint Blksize;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseSxTime
{
    public const int Size = 16;

    public long TvSec;
    public uint TvNsec;
    public int Reserved;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseStatx
{
    public const int StructSize = 256;

    public uint Mask;
    public uint Blksize;
    public ulong Attributes;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public ushort Mode;
    public fixed ushort Spare0[1];
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong AttributesMask;
    public FuseSxTime Atime;
    public FuseSxTime Btime;
    public FuseSxTime Ctime;
    public FuseSxTime Mtime;
    public uint RdevMajor;
    public uint RdevMinor;
    public uint DevMajor;
    public uint DevMinor;
    public fixed ulong Spare2[14];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseKstatfs
{
    public const int Size = 80;

    public ulong Blocks;
    public ulong Bfree;
    public ulong Bavail;
    public ulong Files;
    public ulong Ffree;
    public uint Bsize;
    public uint Namelen;
    public uint Frsize;
    public uint Padding;
    public fixed uint Spare[6];
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseFileLock
{
    public const int Size = 24;

    public ulong Start;
    public ulong End;
    public uint Type;
    public uint Pid;
}
