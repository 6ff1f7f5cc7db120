using System.Diagnostics;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// go-fuse mounts and then polls a file in its own mount (the "poll hack") so that POLL is answered ENOSYS once,
/// before the Go runtime's netpoller can deadlock on it. FastFuse never touches its own mount, and POLL is
/// answered ENOSYS by default: the kernel then treats files as always ready.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed unsafe class PollTests(ITestOutputHelper output)
{
    [MountFact]
    public void Runtime_never_polls_its_own_mount_and_poll_on_a_file_returns_ready_at_once()
    {
        using var m = MountedFs.MemFs("entry_timeout=1,attr_timeout=1");
        Thread.Sleep(200);
        var s = m.Session.Stats;
        // Mounting and starting made no file of its own in the mount, opened nothing and polled nothing (go-fuse's
        // hack is CREATE/LOOKUP + OPEN + POLL). Other opcodes are not checked: any process on the machine may stat
        // a fresh mount.
        output.WriteLine($"after mount: {s.TotalRequests} requests ({s.CountOf(Opcode.Init)} INIT)");
        Assert.Equal(1, s.CountOf(Opcode.Init));
        foreach (var op in new[] { Opcode.Create, Opcode.Mknod, Opcode.Open, Opcode.Poll, Opcode.Write })
            Assert.True(s.CountOf(op) == 0, $"{op} was sent before the test touched the mount");

        Posix.WriteFile(m["p"], "data"u8);
        int fd = Posix.Open(m["p"], Posix.O_RDWR);
        try
        {
            for (int round = 0; round < 2; round++)
            {
                var pfd = new RLibc.PollFd { Fd = fd, Events = RLibc.POLLIN | RLibc.POLLOUT };
                var sw = Stopwatch.StartNew();
                int r = RLibc.poll(&pfd, 1, 5000);
                sw.Stop();
                output.WriteLine($"round {round}: poll={r} revents=0x{pfd.Revents:x} in {sw.Elapsed.TotalMilliseconds:F2} ms; POLL requests={s.CountOf(Opcode.Poll)}");
                Assert.Equal(1, r);
                Assert.Equal(RLibc.POLLIN | RLibc.POLLOUT, pfd.Revents & (RLibc.POLLIN | RLibc.POLLOUT | RLibc.POLLERR | RLibc.POLLNVAL));
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"poll took {sw.Elapsed}");
                // The worker records a request in the stats just after writing its reply: let it.
                var wait = Stopwatch.StartNew();
                while (s.CountOf(Opcode.Poll) == 0 && wait.Elapsed < TimeSpan.FromSeconds(2)) Thread.Sleep(5);
                Thread.Sleep(20);
            }
            // The kernel asked once, got ENOSYS, and never asks again on this connection.
            Assert.Equal(1, s.CountOf(Opcode.Poll));
            Assert.Equal(1, s.ErrorsOf(Opcode.Poll));
        }
        finally { Posix.Close(fd); }
    }
}
