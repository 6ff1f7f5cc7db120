// Namespace-changing requests: mknod, mkdir, rename, rename2, link, setattr.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseMknodIn
{
    public const int Size = 16;

    public uint Mode;
    public uint Rdev;
    public uint Umask;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseMkdirIn
{
    public const int Size = 8;

    public uint Mode;
    public uint Umask;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseRenameIn
{
    public const int Size = 8;

    public ulong Newdir;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseRename2In
{
    public const int Size = 16;

    public ulong Newdir;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseLinkIn
{
    public const int Size = 8;

    public ulong Oldnodeid;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseSetattrIn
{
    public const int StructSize = 88;

    public uint Valid;
    public uint Padding;
    public ulong Fh;
    public ulong Size;
    public ulong LockOwner;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint Atimensec;
    public uint Mtimensec;
    public uint Ctimensec;
    public uint Mode;
    public uint Unused4;
    public uint Uid;
    public uint Gid;
    public uint Unused5;
}
