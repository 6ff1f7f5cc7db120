// io_uring's user ABI (include/uapi/linux/io_uring.h): setup parameters, ring offsets, SQE and CQE layouts and the
// constants FastFuse uses. Checked field by field against the system header by AbiLayoutTests (gcc).
using System.Runtime.InteropServices;

namespace FastFuse.Uring;

/// <summary>struct io_sqring_offsets: where each field of the submission ring lies in its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoSqringOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;
    public ulong UserAddr;
}

/// <summary>struct io_cqring_offsets: where each field of the completion ring lies in its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoCqringOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;
    public ulong UserAddr;
}

/// <summary>struct io_uring_params (120 bytes), in and out of io_uring_setup.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoUringParams
{
    public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
    public fixed uint Resv[3];
    public IoSqringOffsets SqOff;
    public IoCqringOffsets CqOff;
}

/// <summary>
/// struct io_uring_sqe (64 bytes; the ring may be set up for 128-byte entries, whose second half extends the command
/// area (<see cref="CmdOffset"/>, <see cref="Ring.Cmd"/>) to 80 bytes for IORING_OP_URING_CMD). Unions are flattened
/// to the member FastFuse uses.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal unsafe struct IoUringSqe
{
    [FieldOffset(0)] public byte Opcode;
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort Ioprio;
    [FieldOffset(4)] public int Fd;
    /// <summary>off / addr2; for URING_CMD the low half is cmd_op.</summary>
    [FieldOffset(8)] public ulong Off;
    [FieldOffset(8)] public uint CmdOp;
    [FieldOffset(12)] public uint Pad1;
    [FieldOffset(16)] public ulong Addr;
    [FieldOffset(24)] public uint Len;
    /// <summary>rw_flags, poll32_events, uring_cmd_flags… (one u32 union).</summary>
    [FieldOffset(28)] public uint OpFlags;
    [FieldOffset(32)] public ulong UserData;
    [FieldOffset(40)] public ushort BufIndex;
    [FieldOffset(42)] public ushort Personality;
    [FieldOffset(44)] public int SpliceFdIn;
    [FieldOffset(48)] public ulong Addr3;
    [FieldOffset(56)] public ulong Pad2;

    /// <summary>Offset of the command area (cmd[]), 16 bytes here and 80 with IORING_SETUP_SQE128.</summary>
    public const int CmdOffset = 48;
}

/// <summary>struct io_uring_cqe (16 bytes; 32 with IORING_SETUP_CQE32, the rest being big_cqe[]).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringCqe
{
    public ulong UserData;
    public int Res;
    public uint Flags;
}

/// <summary>The io_uring constants FastFuse uses.</summary>
internal static class IoUring
{
    // io_uring_setup flags
    public const uint SetupCqSize = 1u << 3, SetupClamp = 1u << 4, SetupSubmitAll = 1u << 7, SetupCoopTaskrun = 1u << 8,
        SetupTaskrunFlag = 1u << 9, SetupSqe128 = 1u << 10, SetupCqe32 = 1u << 11, SetupSingleIssuer = 1u << 12,
        SetupDeferTaskrun = 1u << 13;

    // features reported by io_uring_setup
    public const uint FeatSingleMmap = 1u << 0, FeatNodrop = 1u << 1, FeatSubmitStable = 1u << 2;

    // io_uring_enter flags
    public const uint EnterGetEvents = 1u << 0;

    // sq ring flags (read from the mapping)
    public const uint SqNeedWakeup = 1u << 0, SqCqOverflow = 1u << 1, SqTaskrun = 1u << 2;

    // mmap offsets
    public const long OffSqRing = 0, OffCqRing = 0x8000000, OffSqes = 0x10000000;

    // opcodes
    public const byte OpNop = 0, OpReadv = 1, OpWritev = 2, OpPollAdd = 6, OpRead = 22, OpWrite = 23, OpUringCmd = 46;

    // sqe flags
    public const byte SqeFixedFile = 1 << 0, SqeIoLink = 1 << 2, SqeCqeSkipSuccess = 1 << 6;

    // io_uring_register opcodes
    public const uint RegisterFiles = 2;
}
