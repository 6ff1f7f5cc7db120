// DAX mapping, syncfs and passthrough backing-file payloads.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_setupmapping_in: SETUPMAPPING (virtiofs DAX): map a range of an open file into the DAX
/// window.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSetupmappingIn
{
    /// <summary>sizeof(struct fuse_setupmapping_in).</summary>
    public const int Size = 40;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>Offset in the file where the mapping starts.</summary>
    public ulong Foffset;
    /// <summary>Length of the mapping in bytes.</summary>
    public ulong Len;
    /// <see cref="SetupmappingFlags"/>: map for reading, writing or both.
    public ulong Flags;
    /// <summary>Offset in the DAX memory window.</summary>
    public ulong Moffset;
}

/// <summary>struct fuse_removemapping_in: REMOVEMAPPING (virtiofs DAX); <see cref="Count"/>
/// <see cref="FuseRemovemappingOne"/> follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRemovemappingIn
{
    /// <summary>sizeof(struct fuse_removemapping_in).</summary>
    public const int Size = 4;

    /// <summary>How many ranges follow.</summary>
    public uint Count;
}

/// <summary>struct fuse_removemapping_one: one DAX window range to unmap.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRemovemappingOne
{
    /// <summary>sizeof(struct fuse_removemapping_one).</summary>
    public const int Size = 16;

    /// <summary>Offset in the DAX window where the range starts.</summary>
    public ulong Moffset;
    /// <summary>Length of the range in bytes.</summary>
    public ulong Len;
}

/// <summary>struct fuse_syncfs_in: SYNCFS (syncfs(2) on the mount).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSyncfsIn
{
    /// <summary>sizeof(struct fuse_syncfs_in).</summary>
    public const int Size = 8;

    /// <summary>Unused, zero.</summary>
    public ulong Padding;
}

/// <summary>Argument of the FUSE_DEV_IOC_BACKING_OPEN ioctl.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBackingMap
{
    /// <summary>sizeof(struct fuse_backing_map).</summary>
    public const int Size = 16;

    /// <summary>The open file to register as a backing file.</summary>
    public int Fd;
    /// <summary>Unused, zero.</summary>
    public uint Flags;
    /// <summary>Unused, zero.</summary>
    public ulong Padding;
}
