using System.Runtime.InteropServices;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;
using static FastFuse.Tests.Mount.PollCall;

namespace FastFuse.Tests.Mount;

/// <summary>poll(2) on one descriptor.</summary>
internal static class PollCall
{
    public const short POLLIN = 1, POLLOUT = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", SetLastError = true)] private static extern int poll(ref PollFd fds, ulong nfds, int timeout);

    public static (int Ready, short Revents) Poll(int fd, short events, int timeoutMs)
    {
        var p = new PollFd { Fd = fd, Events = events };
        int r = poll(ref p, 1, timeoutMs);
        Assert.True(r >= 0, $"poll: {ErrName(LastErrno)}");
        return (r, p.Revents);
    }
}

/// <summary>
/// poll(2) on files through the mount (see also <see cref="MemFsPollTests"/>). By default a file is always readable and writable, as on ext4 (the filesystem
/// answers ENOSYS and the kernel answers every poll itself). With <see cref="MemFsOptions.PollWaitsForData"/> an
/// empty MemFs file is not readable: a poll blocks in the kernel (FUSE_POLL with FUSE_POLL_SCHEDULE_NOTIFY), and the
/// write that gives the file data wakes it (FUSE_NOTIFY_POLL with the poll's kh).
/// </summary>
public abstract class PollTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    [MountFact]
    public void EmptyFile_IsReadableAndWritable_ByDefault_AsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (string dir in new[] { ext4, m.Path })
            {
                int fd = Open(dir + "/empty", O_RDWR | O_CREAT, 0x1A4);
                try { Assert.Equal((1, (short)(POLLIN | POLLOUT)), Poll(fd, POLLIN | POLLOUT, 0)); }
                finally { Close(fd); }
            }
        }
        finally { Directory.Delete(ext4, true); }
    }
}

/// <summary>MemFs with <see cref="MemFsOptions.PollWaitsForData"/>: an empty file is something a reader can wait on.</summary>
public abstract class MemFsPollTests(TransportKind transport) : MountTestBase(FsKind.MemFs, transport)
{
    [MountFact]
    public void PollWaitsForData_APollBlocksUntilAWriteWakesIt()
    {
        using var m = MountedFs.MemFs(NoCache, new MemFsOptions { PollWaitsForData = true, EntryTimeout = TimeSpan.Zero, AttrTimeout = TimeSpan.Zero },
            new SessionOptions { Threads = 2, Transport = Transport });
        int reader = Open(m["box"], O_RDONLY | O_CREAT, 0x1A4);
        try
        {
            Assert.Equal((1, POLLOUT), Poll(reader, POLLIN | POLLOUT, 0));   // writable, not readable: empty
            Assert.Equal(0, Poll(reader, POLLIN, 0).Ready);
            long sent = m.Session.Stats.NotificationsSent;

            var waiter = Task.Factory.StartNew(() => Poll(reader, POLLIN, 30_000), TaskCreationOptions.LongRunning);
            // The poll must be waiting in the kernel, not answered: give it time to get there and stay.
            Assert.False(waiter.Wait(300), "poll returned before any data was written");
            WriteFile(m["box"], "mail"u8);
            Assert.True(waiter.Wait(20_000), "the write did not wake the poll");
            Assert.Equal((1, POLLIN), waiter.Result);
            Assert.True(m.Session.Stats.NotificationsSent > sent, "no FUSE_NOTIFY_POLL was sent");
            Assert.True(m.Session.Stats.CountOf(Opcode.Poll) >= 2);

            // Emptied again: not readable; growing it by truncate wakes a waiter too.
            Assert.Equal(0, Err(truncate(m["box"], 0)));
            Assert.Equal(0, Poll(reader, POLLIN, 0).Ready);
            waiter = Task.Factory.StartNew(() => Poll(reader, POLLIN, 30_000), TaskCreationOptions.LongRunning);
            Assert.False(waiter.Wait(300), "poll returned for an empty file");
            Assert.Equal(0, Err(truncate(m["box"], 100)));
            Assert.True(waiter.Wait(20_000), "growing the file did not wake the poll");
            Assert.Equal((1, POLLIN), waiter.Result);
        }
        finally { Close(reader); }
    }
}

public sealed class PollTests_MemFs() : PollTests(FsKind.MemFs);
public sealed class PollTests_Loopback() : PollTests(FsKind.Loopback);
public sealed class PollTests_Loopback_Uring() : PollTests(FsKind.Loopback, TransportKind.Uring);
public sealed class PollTests_MemFs_FuseUring() : PollTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class MemFsPollTests_DevFuse() : MemFsPollTests(TransportKind.DevFuse);
public sealed class MemFsPollTests_Uring() : MemFsPollTests(TransportKind.Uring);
public sealed class MemFsPollTests_FuseUring() : MemFsPollTests(TransportKind.FuseUring);
