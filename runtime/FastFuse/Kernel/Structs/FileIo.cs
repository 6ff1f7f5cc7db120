// File handle and data I/O payloads: open/create, release, flush, read, write, fsync, lseek, fallocate, copy_file_range.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_open_in: OPEN and OPENDIR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenIn
{
    /// <summary>sizeof(struct fuse_open_in).</summary>
    public const int Size = 8;

    /// <summary>open(2)'s flags, without O_CREAT, O_EXCL and O_NOCTTY (and O_TRUNC unless FUSE_ATOMIC_O_TRUNC was
    /// agreed); the kernel also sets <see cref="FuseConstants.OpenFlagExec"/> for an open by execve.</summary>
    public uint Flags;
    /// <see cref="OpenInFlags"/>.
    public uint OpenFlags;
}

/// <summary>struct fuse_create_in: CREATE and TMPFILE; for CREATE the new name follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseCreateIn
{
    /// <summary>sizeof(struct fuse_create_in).</summary>
    public const int Size = 16;

    /// <summary>open(2)'s flags.</summary>
    public uint Flags;
    /// <summary>File type and permission bits of the new file.</summary>
    public uint Mode;
    /// <summary>The caller's umask; the kernel has already applied it to <see cref="Mode"/> unless FUSE_DONT_MASK was
    /// agreed.</summary>
    public uint Umask;
    /// <see cref="OpenInFlags"/>.
    public uint OpenFlags;
}

/// <summary>struct fuse_open_out: the answer to OPEN, OPENDIR and CREATE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenOut
{
    /// <summary>sizeof(struct fuse_open_out).</summary>
    public const int Size = 16;

    /// <summary>The filesystem's handle for the open file, sent back in every request on it.</summary>
    public ulong Fh;
    /// <see cref="FopenFlags"/>: how the kernel treats this open file (direct I/O, keep the page cache…).
    public uint OpenFlags;
    /// <summary>With <see cref="FopenFlags.Passthrough"/>: the backing file (from FUSE_DEV_IOC_BACKING_OPEN) that reads
    /// and writes go to.</summary>
    public int BackingId;
}

/// <summary>struct fuse_release_in: RELEASE and RELEASEDIR (the last close of an open file).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseReleaseIn
{
    /// <summary>sizeof(struct fuse_release_in).</summary>
    public const int Size = 24;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>The flags the file was opened with.</summary>
    public uint Flags;
    /// <see cref="Kernel.ReleaseFlags"/>.
    public uint ReleaseFlags;
    /// <summary>The lock owner whose flock(2) locks go away (with
    /// <see cref="Kernel.ReleaseFlags.FlockUnlock"/>).</summary>
    public ulong LockOwner;
}

/// <summary>struct fuse_flush_in: FLUSH (on every close(2) of a descriptor).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFlushIn
{
    /// <summary>sizeof(struct fuse_flush_in).</summary>
    public const int Size = 24;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>Unused, zero.</summary>
    public uint Unused;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
    /// <summary>The lock owner of the closing process (its POSIX locks on the file are released).</summary>
    public ulong LockOwner;
}

/// <summary>struct fuse_read_in: READ, READDIR and READDIRPLUS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseReadIn
{
    /// <summary>sizeof(struct fuse_read_in).</summary>
    public const int StructSize = 40;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>Where to read from (for a directory, the offset of the entry to start at).</summary>
    public ulong Offset;
    /// <summary>The most bytes to answer.</summary>
    public uint Size;
    /// <see cref="Kernel.ReadFlags"/>.
    public uint ReadFlags;
    /// <summary>The caller's lock owner, when <see cref="ReadFlags"/> has Lockowner.</summary>
    public ulong LockOwner;
    /// <summary>The flags the file was opened with.</summary>
    public uint Flags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_write_in: WRITE; the data follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteIn
{
    /// <summary>sizeof(struct fuse_write_in).</summary>
    public const int StructSize = 40;

    /// <summary>The open file's handle (with <see cref="Kernel.WriteFlags.Cache"/>, a handle of any open of the file
    /// for writing).</summary>
    public ulong Fh;
    /// <summary>Where to write.</summary>
    public ulong Offset;
    /// <summary>Bytes of data that follow.</summary>
    public uint Size;
    /// <see cref="Kernel.WriteFlags"/>.
    public uint WriteFlags;
    /// <summary>The caller's lock owner, when <see cref="WriteFlags"/> has Lockowner.</summary>
    public ulong LockOwner;
    /// <summary>The flags the file was opened with.</summary>
    public uint Flags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_write_out: the answer to WRITE and COPY_FILE_RANGE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteOut
{
    /// <summary>sizeof(struct fuse_write_out).</summary>
    public const int StructSize = 8;

    /// <summary>Bytes written (copied).</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_fsync_in: FSYNC and FSYNCDIR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFsyncIn
{
    /// <summary>sizeof(struct fuse_fsync_in).</summary>
    public const int Size = 16;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <see cref="Kernel.FsyncFlags"/>: Fdatasync for the data only, not the metadata.
    public uint FsyncFlags;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_lseek_in: LSEEK (the kernel asks only for SEEK_DATA and SEEK_HOLE).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLseekIn
{
    /// <summary>sizeof(struct fuse_lseek_in).</summary>
    public const int Size = 24;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>Where the search starts.</summary>
    public ulong Offset;
    /// <see cref="Linux.SEEK_DATA"/> or <see cref="Linux.SEEK_HOLE"/> (lseek(2)'s whence).
    public uint Whence;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_lseek_out: the answer to LSEEK.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLseekOut
{
    /// <summary>sizeof(struct fuse_lseek_out).</summary>
    public const int Size = 8;

    /// <summary>The offset found.</summary>
    public ulong Offset;
}

/// <summary>struct fuse_fallocate_in: FALLOCATE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFallocateIn
{
    /// <summary>sizeof(struct fuse_fallocate_in).</summary>
    public const int Size = 32;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>Start of the range.</summary>
    public ulong Offset;
    /// <summary>Length of the range in bytes.</summary>
    public ulong Length;
    /// <summary>fallocate(2)'s mode: FALLOC_FL_* bits (<see cref="Linux.FALLOC_FL_KEEP_SIZE"/>…), 0 to
    /// allocate.</summary>
    public uint Mode;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_copy_file_range_in: COPY_FILE_RANGE and COPY_FILE_RANGE_64; the header's node is the source
/// file.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseCopyFileRangeIn
{
    /// <summary>sizeof(struct fuse_copy_file_range_in).</summary>
    public const int Size = 56;

    /// <summary>The source file's handle.</summary>
    public ulong FhIn;
    /// <summary>Where the copy starts in the source.</summary>
    public ulong OffIn;
    /// <summary>The destination file's node.</summary>
    public ulong NodeidOut;
    /// <summary>The destination file's handle.</summary>
    public ulong FhOut;
    /// <summary>Where the copy goes in the destination.</summary>
    public ulong OffOut;
    /// <summary>Bytes to copy.</summary>
    public ulong Len;
    /// <summary>copy_file_range(2)'s flags (0: none are defined).</summary>
    public ulong Flags;
}

/// <summary>struct fuse_copy_file_range_out: the answer to COPY_FILE_RANGE_64.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseCopyFileRangeOut
{
    /// <summary>sizeof(struct fuse_copy_file_range_out).</summary>
    public const int Size = 8;

    /// <summary>Bytes copied.</summary>
    public ulong BytesCopied;
}
