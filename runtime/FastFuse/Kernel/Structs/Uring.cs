// FUSE-over-io_uring payloads: ring entry header, per-request header buffer, SQE command area.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseUringEntInOut
{
    public const int Size = 32;

    public ulong Flags;
    public ulong CommitId;
    public uint PayloadSz;
    public uint Padding;
    public ulong Reserved;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringReqHeader
{
    public const int Size = 288;

    public fixed byte InOut[FuseConstants.UringInOutHeaderSz];
    public fixed byte OpIn[FuseConstants.UringOpInOutSz];
    public FuseUringEntInOut RingEntInOut;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringCmdReq
{
    public const int Size = 24;

    public ulong Flags;
    public ulong CommitId;
    public ushort Qid;
    public fixed byte Padding[6];
}
