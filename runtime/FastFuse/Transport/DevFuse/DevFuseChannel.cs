using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

/// <summary>
/// /dev/fuse with read(2) and writev(2). Each worker has its own: the session's fd, or a clone made with
/// FUSE_DEV_IOC_CLONE, which has its own processing queue (a reply must go to the fd that read its request).
/// </summary>
internal sealed unsafe class DevFuseChannel : FuseChannel
{
    private int _fd;
    private readonly bool _owned;

    public DevFuseChannel(int fd, bool owned)
    {
        _fd = fd;
        _owned = owned;
    }

    public override int Fd => _fd;

    /// <summary>Where this channel counts its read and poll calls (the owning worker's counters).</summary>
    internal SyscallCounters? Counters { get; set; }

    /// <summary>Open /dev/fuse for a new connection.</summary>
    public static int OpenDevice()
    {
        int fd = Libc.Open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        return fd < 0 ? -Libc.Errno : fd;
    }

    /// <summary>A new fd attached to the same connection as <paramref name="sessionFd"/>, with its own queue.</summary>
    public static DevFuseChannel Clone(int sessionFd)
    {
        int fd = Libc.Open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"open /dev/fuse for a cloned channel: {Errno.Name(Libc.Errno)}");
        uint src = (uint)sessionFd;
        // Safe: ioctl reads a uint32 from &src, which lives on this stack frame for the call.
        if (Libc.Ioctl(fd, DevIoctl.Clone, &src) < 0)
        {
            int e = Libc.Errno;
            Libc.Close(fd);
            throw new IOException($"FUSE_DEV_IOC_CLONE: {Errno.Name(e)}");
        }
        return new DevFuseChannel(fd, owned: true);
    }

    private long _spinTicks;

    /// <summary>
    /// Busy-poll for up to <paramref name="spin"/> before sleeping: the fd becomes non-blocking, a read that finds
    /// nothing is retried until the budget is spent, then the thread sleeps in poll(2). A request that arrives
    /// while it spins is picked up without a wake-up, which on a virtual machine costs tens of microseconds (an IPI
    /// and an exit from the idle state). Zero turns it off.
    /// </summary>
    public void SetSpin(TimeSpan spin)
    {
        _spinTicks = (long)(spin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        int flags = Libc.Fcntl(_fd, Libc.F_GETFL, 0);
        if (flags >= 0) Libc.Fcntl(_fd, Libc.F_SETFL, _spinTicks > 0 ? flags | Libc.O_NONBLOCK : flags & ~Libc.O_NONBLOCK);
    }

    public override int Read(byte* buffer, int capacity)
    {
        if (_spinTicks > 0) return ReadSpinning(buffer, capacity);
        while (true)
        {
            // Safe: buffer is a pinned native buffer of at least capacity bytes owned by the calling worker.
            nint n = Libc.Read(_fd, buffer, (nuint)capacity);
            if (Counters is { } c) c.Read++;
            if (n >= 0) return (int)n;
            int e = Libc.Errno;
            if (e == Errno.EINTR) continue;
            return -e;
        }
    }

    private int ReadSpinning(byte* buffer, int capacity)
    {
        long deadline = 0;
        while (true)
        {
            // Safe: buffer is a pinned native buffer of at least capacity bytes owned by the calling worker.
            nint n = Libc.Read(_fd, buffer, (nuint)capacity);
            if (Counters is { } c) c.Read++;
            if (n >= 0) return (int)n;
            int e = Libc.Errno;
            if (e == Errno.EINTR) continue;
            if (e != Errno.EAGAIN) return -e;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (deadline == 0) deadline = now + _spinTicks;
            if (now < deadline)
            {
                Thread.SpinWait(8);
                continue;
            }
            PollFd p;
            p.Fd = _fd;
            p.Events = Libc.POLLIN;
            p.Revents = 0;
            // Safe: p lives on this stack frame for the call. A dead connection wakes poll with POLLERR; the
            // read that follows returns ENODEV.
            Libc.Poll(&p, 1, -1);
            if (Counters is { } pc) pc.Poll++;
            deadline = 0;
        }
    }

    public override int WriteV(IoVec* iov, int count)
    {
        while (true)
        {
            // Safe: every iov entry points at memory pinned for the duration of the call (see ReplyWriter).
            nint n = Libc.Writev(_fd, iov, count);
            if (n >= 0) return (int)n;
            int e = Libc.Errno;
            if (e == Errno.EINTR) continue;
            return -e;
        }
    }

    public override void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _owned) Libc.Close(fd);
    }
}
