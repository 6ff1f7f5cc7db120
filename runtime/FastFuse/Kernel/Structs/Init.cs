// Handshake payloads: fuse_init_in/out and cuse_init_in/out.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_init_in: INIT: the protocol the kernel speaks and what it offers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitIn
{
    /// <summary>sizeof(struct fuse_init_in).</summary>
    public const int Size = 64;

    /// <summary>The kernel's major protocol version.</summary>
    public uint Major;
    /// <summary>The kernel's minor protocol version.</summary>
    public uint Minor;
    /// <summary>The most bytes the kernel reads ahead.</summary>
    public uint MaxReadahead;
    /// <summary>Low 32 bits of the <see cref="InitFlags"/> offered.</summary>
    public uint Flags;
    /// <summary>High 32 bits of the <see cref="InitFlags"/> offered (with FUSE_INIT_EXT).</summary>
    public uint Flags2;
    /// <summary>Unused, zero.</summary>
    public fixed uint Unused[11];
}

/// <summary>struct fuse_init_out: the answer to INIT: the protocol agreed and the connection's limits.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitOut
{
    /// <summary>sizeof(struct fuse_init_out).</summary>
    public const int Size = 64;

    /// <summary>The major protocol version the filesystem speaks.</summary>
    public uint Major;
    /// <summary>The minor protocol version the filesystem speaks.</summary>
    public uint Minor;
    /// <summary>The most bytes the kernel may read ahead (at most what it offered).</summary>
    public uint MaxReadahead;
    /// <summary>Low 32 bits of the <see cref="InitFlags"/> agreed.</summary>
    public uint Flags;
    /// <summary>The most background requests (readahead, writeback, async direct I/O) in flight at once.</summary>
    public ushort MaxBackground;
    /// <summary>How many background requests in flight mark the connection congested.</summary>
    public ushort CongestionThreshold;
    /// <summary>The largest WRITE payload, in bytes.</summary>
    public uint MaxWrite;
    /// <summary>Timestamp granularity in nanoseconds: a power of 10 from 1 to 10^9.</summary>
    public uint TimeGran;
    /// <summary>The most pages in one request (with FUSE_MAX_PAGES).</summary>
    public ushort MaxPages;
    /// <summary>log2 of the alignment of DAX mapping offsets (with FUSE_MAP_ALIGNMENT).</summary>
    public ushort MapAlignment;
    /// <summary>High 32 bits of the <see cref="InitFlags"/> agreed.</summary>
    public uint Flags2;
    /// <summary>With FUSE_PASSTHROUGH: how many filesystems may be stacked under a backing file.</summary>
    public uint MaxStackDepth;
    /// <summary>With FUSE_REQUEST_TIMEOUT: seconds after which a request with no reply makes the kernel abort the
    /// connection (0: never).</summary>
    public ushort RequestTimeout;
    /// <summary>Unused, zero.</summary>
    public fixed ushort Unused[11];
}

/// <summary>struct cuse_init_in: CUSE_INIT (a character device served in user space).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CuseInitIn
{
    /// <summary>sizeof(struct cuse_init_in).</summary>
    public const int Size = 16;

    /// <summary>The kernel's major protocol version.</summary>
    public uint Major;
    /// <summary>The kernel's minor protocol version.</summary>
    public uint Minor;
    /// <summary>Unused, zero.</summary>
    public uint Unused;
    /// <see cref="CuseInitFlags"/> offered.
    public uint Flags;
}

/// <summary>struct cuse_init_out: the answer to CUSE_INIT; the device's info strings follow (at most
/// <see cref="FuseConstants.CuseInitInfoMax"/> bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CuseInitOut
{
    /// <summary>sizeof(struct cuse_init_out).</summary>
    public const int Size = 72;

    /// <summary>The major protocol version the server speaks.</summary>
    public uint Major;
    /// <summary>The minor protocol version the server speaks.</summary>
    public uint Minor;
    /// <summary>Unused, zero.</summary>
    public uint Unused;
    /// <see cref="CuseInitFlags"/> agreed.
    public uint Flags;
    /// <summary>The largest READ, in bytes.</summary>
    public uint MaxRead;
    /// <summary>The largest WRITE payload, in bytes.</summary>
    public uint MaxWrite;
    /// <summary>Major number of the character device.</summary>
    public uint DevMajor;
    /// <summary>Minor number of the character device.</summary>
    public uint DevMinor;
    /// <summary>Unused, zero.</summary>
    public fixed uint Spare[10];
}
