// ioctl and poll payloads.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_ioctl_in: IOCTL; <see cref="InSize"/> bytes of input follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlIn
{
    /// <summary>sizeof(struct fuse_ioctl_in).</summary>
    public const int Size = 32;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <see cref="IoctlFlags"/>.
    public uint Flags;
    /// <summary>The ioctl command.</summary>
    public uint Cmd;
    /// <summary>The caller's argument, as a number (an address in the caller for most commands).</summary>
    public ulong Arg;
    /// <summary>Bytes of input data that follow.</summary>
    public uint InSize;
    /// <summary>Bytes of output the caller has room for.</summary>
    public uint OutSize;
}

/// <summary>struct fuse_ioctl_iovec: one range of the caller's memory, in the answer to an unrestricted ioctl that asks
/// to be retried.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlIovec
{
    /// <summary>sizeof(struct fuse_ioctl_iovec).</summary>
    public const int Size = 16;

    /// <summary>Address in the caller's address space.</summary>
    public ulong Base;
    /// <summary>Length in bytes.</summary>
    public ulong Len;
}

/// <summary>struct fuse_ioctl_out: the answer to IOCTL; the output data follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseIoctlOut
{
    /// <summary>sizeof(struct fuse_ioctl_out).</summary>
    public const int Size = 16;

    /// <summary>The ioctl's return value.</summary>
    public int Result;
    /// <see cref="IoctlFlags"/>: Retry asks the kernel to send the ioctl again with the ranges that follow.
    public uint Flags;
    /// <summary>With Retry: how many input ranges follow.</summary>
    public uint InIovs;
    /// <summary>With Retry: how many output ranges follow (after the input ones).</summary>
    public uint OutIovs;
}

/// <summary>struct fuse_poll_in: POLL.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FusePollIn
{
    /// <summary>sizeof(struct fuse_poll_in).</summary>
    public const int Size = 24;

    /// <summary>The open file's handle.</summary>
    public ulong Fh;
    /// <summary>The poll handle to give <see cref="Notify.Notifier.PollWakeup"/> when the file becomes ready.</summary>
    public ulong Kh;
    /// <see cref="PollFlags"/>: ScheduleNotify asks for a wakeup notification.
    public uint Flags;
    /// <summary>The poll events the caller waits for (POLLIN, POLLOUT…).</summary>
    public uint Events;
}

/// <summary>struct fuse_poll_out: the answer to POLL.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FusePollOut
{
    /// <summary>sizeof(struct fuse_poll_out).</summary>
    public const int Size = 8;

    /// <summary>The events that are ready.</summary>
    public uint Revents;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}
