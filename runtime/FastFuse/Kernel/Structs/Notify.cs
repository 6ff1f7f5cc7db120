// Unsolicited notification payloads (server -> kernel) and the retrieve reply (kernel -> server).
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_notify_poll_wakeup_out: FUSE_NOTIFY_POLL.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyPollWakeupOut
{
    /// <summary>sizeof(struct fuse_notify_poll_wakeup_out).</summary>
    public const int Size = 8;

    /// <summary>The poll handle from the POLL request (<see cref="FusePollIn.Kh"/>).</summary>
    public ulong Kh;
}

/// <summary>struct fuse_notify_inval_inode_out: FUSE_NOTIFY_INVAL_INODE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalInodeOut
{
    /// <summary>sizeof(struct fuse_notify_inval_inode_out).</summary>
    public const int Size = 24;

    /// <summary>The node whose cache is dropped.</summary>
    public ulong Ino;
    /// <summary>Start of the cached data to drop; negative: the attributes only.</summary>
    public long Off;
    /// <summary>Bytes of cached data to drop; 0 or less: to the end of the file.</summary>
    public long Len;
}

/// <summary>struct fuse_notify_inval_entry_out: FUSE_NOTIFY_INVAL_ENTRY; the name follows, NUL-terminated.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalEntryOut
{
    /// <summary>sizeof(struct fuse_notify_inval_entry_out).</summary>
    public const int Size = 16;

    /// <summary>The directory.</summary>
    public ulong Parent;
    /// <summary>Length of the name in bytes.</summary>
    public uint Namelen;
    /// <see cref="NotifyInvalEntryFlags"/>.
    public uint Flags;
}

/// <summary>struct fuse_notify_delete_out: FUSE_NOTIFY_DELETE; the name follows, NUL-terminated.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyDeleteOut
{
    /// <summary>sizeof(struct fuse_notify_delete_out).</summary>
    public const int Size = 24;

    /// <summary>The directory.</summary>
    public ulong Parent;
    /// <summary>The node the name led to.</summary>
    public ulong Child;
    /// <summary>Length of the name in bytes.</summary>
    public uint Namelen;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_notify_store_out: FUSE_NOTIFY_STORE; the data follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyStoreOut
{
    /// <summary>sizeof(struct fuse_notify_store_out).</summary>
    public const int StructSize = 24;

    /// <summary>The node whose page cache receives the data.</summary>
    public ulong Nodeid;
    /// <summary>Where the data goes in the file.</summary>
    public ulong Offset;
    /// <summary>Bytes of data that follow.</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_notify_retrieve_out: FUSE_NOTIFY_RETRIEVE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyRetrieveOut
{
    /// <summary>sizeof(struct fuse_notify_retrieve_out).</summary>
    public const int StructSize = 32;

    /// <summary>The id the kernel's NOTIFY_REPLY carries back.</summary>
    public ulong NotifyUnique;
    /// <summary>The node whose page cache is read.</summary>
    public ulong Nodeid;
    /// <summary>Where to start in the file.</summary>
    public ulong Offset;
    /// <summary>The most bytes to return.</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_notify_retrieve_in: NOTIFY_REPLY, the kernel's answer to a retrieve (the size of a
/// fuse_write_in); the data follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyRetrieveIn
{
    /// <summary>sizeof(struct fuse_notify_retrieve_in).</summary>
    public const int StructSize = 40;

    /// <summary>Unused.</summary>
    public ulong Dummy1;
    /// <summary>Where the data starts in the file.</summary>
    public ulong Offset;
    /// <summary>Bytes of data that follow.</summary>
    public uint Size;
    /// <summary>Unused.</summary>
    public uint Dummy2;
    /// <summary>Unused.</summary>
    public ulong Dummy3;
    /// <summary>Unused.</summary>
    public ulong Dummy4;
}

/// <summary>FUSE_NOTIFY_PRUNE payload (Linux 6.19 header, protocol 7.45); followed by Count u64 node ids.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyPruneOut
{
    /// <summary>sizeof(struct fuse_notify_prune_out).</summary>
    public const int Size = 16;

    /// <summary>How many node ids follow.</summary>
    public uint Count;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
    /// <summary>Unused, zero.</summary>
    public ulong Spare;
}
