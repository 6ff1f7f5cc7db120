// FUSE-over-io_uring payloads: ring entry header, per-request header buffer, SQE command area.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_uring_ent_in_out: the part of a fuse-uring entry's header that belongs to the ring.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseUringEntInOut
{
    /// <summary>sizeof(struct fuse_uring_ent_in_out).</summary>
    public const int Size = 32;

    /// <summary>Unused, zero.</summary>
    public ulong Flags;
    /// <summary>The id the reply to this entry's request commits with
    /// (<see cref="FuseUringCmdReq.CommitId"/>).</summary>
    public ulong CommitId;
    /// <summary>Bytes used in the entry's payload buffer: the request's arguments, then the reply's data.</summary>
    public uint PayloadSz;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
    /// <summary>Unused, zero.</summary>
    public ulong Reserved;
}

/// <summary>struct fuse_uring_req_header: the header buffer of one fuse-uring ring entry.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringReqHeader
{
    /// <summary>sizeof(struct fuse_uring_req_header).</summary>
    public const int Size = 288;

    /// <summary>The request's fuse_in_header, then the reply's fuse_out_header.</summary>
    public fixed byte InOut[FuseConstants.UringInOutHeaderSz];
    /// <summary>The request's fixed, per-opcode argument struct.</summary>
    public fixed byte OpIn[FuseConstants.UringOpInOutSz];
    /// <summary>The entry's own fields.</summary>
    public FuseUringEntInOut RingEntInOut;
}

/// <summary>struct fuse_uring_cmd_req: the command in the 80-byte command area of an IORING_OP_URING_CMD SQE on
/// /dev/fuse (<see cref="UringCmd"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringCmdReq
{
    /// <summary>sizeof(struct fuse_uring_cmd_req).</summary>
    public const int Size = 24;

    /// <summary>Unused, zero.</summary>
    public ulong Flags;
    /// <summary>The entry whose reply this commits (<see cref="FuseUringEntInOut.CommitId"/>); 0 for
    /// Register.</summary>
    public ulong CommitId;
    /// <summary>The queue (CPU) the entry belongs to.</summary>
    public ushort Qid;
    /// <summary>Unused, zero.</summary>
    public fixed byte Padding[6];
}
