using System.Runtime.CompilerServices;
using FastFuse.Transport;

namespace FastFuse.Api;

/// <summary>
/// Who asked, and which request this is. Passed by <c>in</c> to every handler; copying it costs nothing
/// on the heap. <see cref="IsInterrupted"/> and <see cref="Defer"/> reach back into the request's slot, whichever
/// transport read it.
/// </summary>
public readonly struct RequestContext
{
    internal readonly RequestSlot? Slot;
    internal readonly long Epoch;

    /// <summary>The kernel's request id.</summary>
    public readonly ulong Unique;
    /// <summary>The node the request is about (the header's nodeid).</summary>
    public readonly ulong NodeId;
    /// <summary>The caller's user id (fuse_in_header.uid: its fsuid, as the connection's user namespace sees
    /// it).</summary>
    public readonly uint Uid;
    /// <summary>The caller's group id (fuse_in_header.gid).</summary>
    public readonly uint Gid;
    /// <summary>The calling thread's process id (fuse_in_header.pid); 0 when no process is behind the
    /// request.</summary>
    public readonly uint Pid;
    /// <summary>The opcode of this request.</summary>
    public readonly Kernel.Opcode Opcode;

    internal RequestContext(RequestSlot? slot, long epoch, ulong unique, ulong nodeId, uint uid, uint gid, uint pid, Kernel.Opcode opcode)
    {
        Slot = slot;
        Epoch = epoch;
        Unique = unique;
        NodeId = nodeId;
        Uid = uid;
        Gid = gid;
        Pid = pid;
        Opcode = opcode;
    }

    /// <summary>A context for calling a filesystem directly (tests, benchmarks): no request slot, never interrupted.</summary>
    public static RequestContext ForCaller(uint uid, uint gid, uint pid = 0, ulong unique = 0) =>
        new(null, 0, unique, 0, uid, gid, pid, 0);

    /// <summary>True once the kernel has sent an INTERRUPT for this request (the caller got a signal).
    /// A long-running handler polls it and answers <see cref="Kernel.Errno.EINTR"/>.</summary>
    public bool IsInterrupted
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Slot is { } s && s.Session.Interrupts.IsInterrupted(Unique);
    }

    /// <summary>
    /// Register <paramref name="fd"/> (an open regular file) as a FUSE passthrough backing file
    /// (FUSE_DEV_IOC_BACKING_OPEN): reply OPEN/CREATE with <c>open.BackingId = backingId</c> and
    /// <see cref="Kernel.FopenFlags.Passthrough"/>, and reads and writes bypass user space. Returns 0 or an errno
    /// (EPERM without CAP_SYS_ADMIN, EOPNOTSUPP when passthrough was not negotiated…).
    /// </summary>
    public int OpenBacking(int fd, out int backingId)
    {
        backingId = 0;
        if (Slot is null) return Kernel.Errno.ENOTCONN;
        return Slot.Session.Backing.Open(fd, out backingId);
    }

    /// <summary>Drop a backing id from <see cref="OpenBacking"/> (FUSE_DEV_IOC_BACKING_CLOSE). Returns 0 or an errno.</summary>
    public int CloseBacking(int backingId) =>
        Slot is null ? Kernel.Errno.ENOTCONN : Slot.Session.Backing.Close(backingId);

    /// <summary>
    /// Detach this request from its handler: the handler returns <see cref="Status.Deferred"/> at once and
    /// answers later, from any thread, through the returned reply. The transport goes on with other requests.
    /// </summary>
    public PendingReply Defer()
    {
        if (Slot is null) throw new InvalidOperationException("Defer() needs a request read from the kernel.");
        return Slot.Owner.Defer(Slot);
    }
}

/// <summary>Handler results that are not errno values.</summary>
public static class Status
{
    /// <summary>Success: the reply payload the handler wrote is sent.</summary>
    public const int Ok = 0;
    /// <summary>The handler called <see cref="RequestContext.Defer"/> and will answer later.</summary>
    public const int Deferred = int.MinValue;
}
