// File handle and data I/O payloads: open/create, release, flush, read, write, fsync, lseek, fallocate, copy_file_range.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenIn
{
    public const int Size = 8;

    public uint Flags;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseCreateIn
{
    public const int Size = 16;

    public uint Flags;
    public uint Mode;
    public uint Umask;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenOut
{
    public const int Size = 16;

    public ulong Fh;
    public uint OpenFlags;
    public int BackingId;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseReleaseIn
{
    public const int Size = 24;

    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseFlushIn
{
    public const int Size = 24;

    public ulong Fh;
    public uint Unused;
    public uint Padding;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseReadIn
{
    public const int StructSize = 40;

    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteIn
{
    public const int StructSize = 40;

    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint WriteFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteOut
{
    public const int StructSize = 8;

    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseFsyncIn
{
    public const int Size = 16;

    public ulong Fh;
    public uint FsyncFlags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseLseekIn
{
    public const int Size = 24;

    public ulong Fh;
    public ulong Offset;
    public uint Whence;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseLseekOut
{
    public const int Size = 8;

    public ulong Offset;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseFallocateIn
{
    public const int Size = 32;

    public ulong Fh;
    public ulong Offset;
    public ulong Length;
    public uint Mode;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseCopyFileRangeIn
{
    public const int Size = 56;

    public ulong FhIn;
    public ulong OffIn;
    public ulong NodeidOut;
    public ulong FhOut;
    public ulong OffOut;
    public ulong Len;
    public ulong Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseCopyFileRangeOut
{
    public const int Size = 8;

    public ulong BytesCopied;
}
