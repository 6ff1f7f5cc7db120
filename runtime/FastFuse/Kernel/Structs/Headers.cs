// Message headers: fuse_in_header precedes every request, fuse_out_header every reply/notification.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_in_header: the header in front of every request the kernel sends.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseInHeader
{
    /// <summary>sizeof(struct fuse_in_header).</summary>
    public const int Size = 40;

    /// <summary>Length of the whole request in bytes, this header included.</summary>
    public uint Len;
    /// <summary>What the request asks for (<see cref="Kernel.Opcode"/>).</summary>
    public uint Opcode;
    /// <summary>The request's id, unique among the requests in flight; the reply carries it back. With FUSE_HAS_RESEND
    /// its high bit (<see cref="FuseConstants.UniqueResend"/>) marks a request the kernel sent again.</summary>
    public ulong Unique;
    /// <summary>The node the request is about (0 for a request about no node, such as INIT).</summary>
    public ulong Nodeid;
    /// <summary>User id of the calling process (its fsuid, normally the effective uid), as the connection's user
    /// namespace sees it; <see cref="FuseConstants.InvalidUidGid"/> when an idmapped mount cannot map it.</summary>
    public uint Uid;
    /// <summary>Group id of the calling process (its fsgid), as for <see cref="Uid"/>.</summary>
    public uint Gid;
    /// <summary>Process id of the calling thread in the connection's pid namespace; 0 when no process is behind the
    /// request.</summary>
    public uint Pid;
    /// <summary>Length of the extensions after the request's arguments, in 8-byte units
    /// (<see cref="FuseExtHeader"/>).</summary>
    public ushort TotalExtlen;
    /// <summary>Unused, zero.</summary>
    public ushort Padding;
}

/// <summary>struct fuse_out_header: the header in front of every reply and notification.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOutHeader
{
    /// <summary>sizeof(struct fuse_out_header).</summary>
    public const int Size = 16;

    /// <summary>Length of the whole reply in bytes, this header included.</summary>
    public uint Len;
    /// <summary>0, or a negative errno that fails the request; in a notification (Unique 0), its
    /// <see cref="NotifyCode"/>.</summary>
    public int Error;
    /// <summary>The id of the request this answers (<see cref="FuseInHeader.Unique"/>); 0 for a notification.</summary>
    public ulong Unique;
}
