using System.Diagnostics;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// LoopbackFs forwards locks to its source: a process on the source directory and one through the mount see each
/// other's record locks (fcntl, OFD) and flock, a waiter through the mount gets a lock once the source's holder lets
/// it go (and the other way round), and a waiter through the mount that gets a signal stops with EINTR.
/// <para>The one difference from two processes on ext4: a lock taken through the mount is, on the source, an OFD lock
/// of the daemon, so F_GETLK on the source reports l_pid -1 for it instead of the locking process.</para>
/// <para>Lock holders on the source are child processes, not this one: this process is also the daemon, which
/// closes descriptors of the source (FLUSH), and a close drops every POSIX lock of its process on the file.</para>
/// </summary>
[Collection(LockCollection.Name)]
public abstract class LoopbackLockTests(TransportKind transport) : MountTestBase(FsKind.Loopback, transport)
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);
    private const string Flock1 = "/usr/bin/flock";
    private static string Locker => CHelpers.Get("Mount/Helpers/locker.c");

    private static string[] Run(string path, params string[] commands)
    {
        var r = Command.Run(Locker, new[] { path }.Concat(commands), T);
        Assert.True(r.ExitCode == 0, r.All);
        return r.Stdout.ToArray();
    }

    private static int Flock(string mode, string path) => Command.Run(Flock1, new[] { mode, "-n", path, "/bin/true" }, T).ExitCode;

    private static Child Holder(string path, params string[] locks)
    {
        var c = new Child(Locker, new[] { path }.Concat(locks).Append("wait"));
        foreach (var l in locks) Assert.Equal("ok", c.ReadLine(T));
        return c;
    }

    private static void Let(Child holder)
    {
        holder.WriteLine("go");
        Assert.Equal("ok", holder.ReadLine(T));
        Assert.Equal(0, holder.WaitExit(T));
    }

    /// <summary>Every lock descriptor of the daemon is closed once the files are (RELEASE comes after close returns).</summary>
    private static void NoLockDescriptorsLeft(MountedFs m)
    {
        var fs = (LoopbackFs)m.FileSystem;
        var sw = Stopwatch.StartNew();
        while (fs.LockDescriptors != 0 && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        Assert.Equal(0, fs.LockDescriptors);
        Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
    }

    /// <summary>Wait for the asynchronous RELEASE of closed files: <paramref name="open"/> remain open.</summary>
    private static void Released(MountedFs m, int open)
    {
        var fs = (LoopbackFs)m.FileSystem;
        var sw = Stopwatch.StartNew();
        while (fs.OpenFiles != open && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(2);
        Assert.Equal(open, fs.OpenFiles);
    }

    private static (string Mnt, string Src) File(MountedFs m)
    {
        WriteFile(m["f"], new byte[4096]);
        return (m["f"], Path.Combine(m.SourcePath!, "f"));
    }

    [MountFact]
    public void RecordLocks_ThroughTheMountAndOnTheSource_SeeEachOther()
    {
        using var m = Mount(NoCache);
        var (mnt, src) = File(m);
        int fd = Open(mnt, O_RDWR);
        try
        {
            // Through the mount: a read lock, then a write lock (the daemon's descriptor becomes read-write and keeps
            // the read lock), seen on the source, as the daemon's OFD locks.
            Assert.Equal(0, Lock(fd, F_SETLK, F_RDLCK, 200, 100));
            Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 100));
            Assert.Equal(new[] { "w 0 100 pid=-1", "r 200 100 pid=-1", "EAGAIN", "ok", "EAGAIN", "ok", "ok" },
                Run(src, "getlk:w:50:1", "getlk:w:250:1", "setlk:w:250:1", "setlk:r:250:1", "ofd-setlk:r:99:1", "setlk:w:100:100", "ofd-setlk:w:300:1"));

            // On the source: a process's lock, seen through the mount with its pid, and held against this process.
            using (var holder = Holder(src, "setlk:w:1000:10"))
            {
                Assert.Equal(new[] { "ok", $"w 1000 10 pid={holder.Pid}", "ok", "EAGAIN", "ok" },
                    Run(mnt, "rawpid", "getlk:r:1005:1", "setlk:r:990:10", "setlk:r:1009:1", "setlk:w:1010:10"));
                Assert.Equal(Errno.EAGAIN, Lock(fd, F_SETLK, F_WRLCK, 1000, 1));
                // The mount's own locks keep their process's pid, next to the source's.
                Assert.Equal(new[] { "ok", $"w 0 100 pid={Environment.ProcessId}" }, Run(mnt, "rawpid", "getlk:r:50:1"));
                Let(holder);
            }
            Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 1000, 1));

            // A close of any descriptor of the file releases this process's locks, on the source too.
            close(Open(mnt, O_RDONLY));
            Assert.Equal(new[] { "unlck" }, Run(src, "getlk:w:0:0"));

            // An OFD lock through the mount is one on the source too, until its open file is closed (another close
            // by this process does not end it).
            int ofd = Open(mnt, O_RDWR);
            Assert.Equal(0, Lock(ofd, F_OFD_SETLK, F_WRLCK, 2000, 10));
            close(Open(mnt, O_RDONLY));
            Assert.Equal(new[] { "EAGAIN", "EAGAIN", "w 2000 10 pid=-1" }, Run(src, "ofd-setlk:r:2009:1", "setlk:w:2000:1", "ofd-getlk:r:2000:0"));
            close(ofd);
            Released(m, 1);
            Assert.Equal(new[] { "ok", "unlck" }, Run(src, "ofd-setlk:w:2000:10", "ofd-getlk:w:0:0"));
        }
        finally { close(fd); }
        NoLockDescriptorsLeft(m);
    }

    [MountFact]
    public void Flock_ThroughTheMountAndOnTheSource_SeeEachOther()
    {
        using var m = Mount(NoCache);
        var (mnt, src) = File(m);
        int fd = Open(mnt, O_RDONLY), sfd = -1;
        try
        {
            Assert.Equal(0, Err(flock(fd, LOCK_SH)));
            Assert.Equal((0, 1), (Flock("-s", src), Flock("-x", src)));
            Assert.Equal(0, Err(flock(fd, LOCK_EX | LOCK_NB)));
            Assert.Equal((1, 1), (Flock("-s", src), Flock("-x", src)));
            Assert.Equal(0, Err(flock(fd, LOCK_UN)));
            Assert.Equal(0, Flock("-x", src));
            Assert.Equal(0, Err(flock(fd, LOCK_EX)));
            close(fd);                                                  // the last close: the flock goes
            fd = -1;
            Released(m, 0);
            Assert.Equal(0, Flock("-x", src));

            // The other way: a flock on the source, seen through the mount; a waiter through the mount gets it when it goes.
            sfd = Open(src, O_RDONLY);
            Assert.Equal(0, Err(flock(sfd, LOCK_EX)));
            Assert.Equal((1, 1), (Flock("-s", mnt), Flock("-x", mnt)));
            Assert.Equal(0, Err(flock(sfd, LOCK_SH)));
            Assert.Equal((0, 1), (Flock("-s", mnt), Flock("-x", mnt)));
            using var waiter = new Child(Flock1, new[] { "-x", "-w", "20", mnt, "/bin/echo", "got it" });
            Assert.True(waiter.Silent(TimeSpan.FromMilliseconds(300)), "flock through the mount did not wait for the source's lock");
            close(sfd);
            sfd = -1;
            Assert.Equal("got it", waiter.ReadLine(T));
            Assert.Equal(0, waiter.WaitExit(T));

            // A waiter through the mount that times out (flock(1) -w: SIGALRM, EINTR) leaves nothing behind.
            sfd = Open(src, O_RDONLY);
            Assert.Equal(0, Err(flock(sfd, LOCK_EX)));
            var sw = Stopwatch.StartNew();
            Assert.Equal(1, Command.Run(Flock1, new[] { "-x", "-w", "0.3", mnt, "/bin/true" }, T).ExitCode);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"the interrupted flock took {sw.Elapsed}");
            close(sfd);
            sfd = -1;
            Assert.Equal((0, 0), (Flock("-x", mnt), Flock("-x", src)));
        }
        finally
        {
            if (fd >= 0) close(fd);
            if (sfd >= 0) close(sfd);
        }
        NoLockDescriptorsLeft(m);
    }

    [MountFact]
    public void Setlkw_ThroughTheMount_WaitsForTheSourcesLock_AndTheOtherWayRound()
    {
        using var m = Mount(NoCache);
        var (mnt, src) = File(m);
        var holder = Holder(src, "setlk:w:0:10");
        using (holder)
        using (var waiter = new Child(Locker, new[] { mnt, "setlkw:w:5:10", "wait" }))
        {
            Assert.True(waiter.Silent(TimeSpan.FromMilliseconds(300)), "F_SETLKW through the mount did not wait for the source's lock");
            Let(holder);                                                // its exit releases the lock: the waiter gets it
            Assert.Equal("ok", waiter.ReadLine(T));
            Assert.Equal(new[] { "EAGAIN", "ok" }, Run(src, "setlk:w:0:10", "setlk:w:0:5"));

            // A waiter on the source waits for the lock held through the mount, and gets it when that one goes.
            using var sourceWaiter = new Child(Locker, new[] { src, "setlkw:r:10:1" });
            Assert.True(sourceWaiter.Silent(TimeSpan.FromMilliseconds(300)), "F_SETLKW on the source did not wait for the mount's lock");
            Let(waiter);
            Assert.Equal("ok", sourceWaiter.ReadLine(T));
            Assert.Equal(0, sourceWaiter.WaitExit(T));
        }
        NoLockDescriptorsLeft(m);
    }

    [MountFact]
    public void Setlkw_ManyWaitersForASourceLock_HoldNoWorker_AndAllGetItInTurn()
    {
        using var m = Mount(NoCache);                                   // two workers
        var (mnt, src) = File(m);
        var waiters = new List<Child>();
        try
        {
            using (var holder = Holder(src, "setlk:w:0:10"))
            {
                for (int i = 0; i < 12; i++) waiters.Add(new Child(Locker, new[] { mnt, "setlkw:w:0:10", "sleep:10" }));
                Thread.Sleep(300);
                foreach (var w in waiters) Assert.True(w.Silent(TimeSpan.FromMilliseconds(10)), "a waiter got the lock while the source held it");
                // A waiter parked on a worker would leave none for these: the watchdog then aborts the connection.
                m.Within(T, () => { for (int i = 0; i < 20; i++) Assert.Equal(4096L, Stat(mnt).Size); });
                Let(holder);
            }
            foreach (var w in waiters)
            {
                Assert.Equal("ok", w.ReadLine(T));
                Assert.Equal(0, w.WaitExit(T));
            }
        }
        finally
        {
            foreach (var w in waiters) w.Dispose();
        }
        NoLockDescriptorsLeft(m);
    }

    [MountFact]
    public void Setlkw_ThroughTheMount_InterruptedByASignal_IsEINTR()
    {
        using var m = Mount(NoCache);
        var (mnt, src) = File(m);
        using (var holder = Holder(src, "setlk:w:0:10"))
        {
            var sw = Stopwatch.StartNew();
            Assert.Equal(new[] { "ok", "EINTR" }, Run(mnt, "alarm:300", "setlkw:w:0:10"));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"the interrupted F_SETLKW took {sw.Elapsed}");
            // And an OFD one.
            Assert.Equal(new[] { "ok", "EINTR" }, Run(mnt, "alarm:300", "ofd-setlkw:r:5:1"));
            Let(holder);
        }
        // The interrupted waiters left nothing: neither through the mount nor on the source.
        Assert.Equal(new[] { "unlck", "ok" }, Run(mnt, "getlk:w:0:0", "setlk:w:0:10"));
        Assert.Equal(new[] { "unlck" }, Run(src, "getlk:w:0:0"));
        NoLockDescriptorsLeft(m);
    }

    [PassthroughFact]
    public void WithPassthrough_LocksStillReachTheSource()
    {
        using var m = MountedFs.Loopback(NoCache + ",passthrough", new LoopbackOptions { Passthrough = true },
            new SessionOptions { Threads = 2, Transport = Transport });
        Assert.True(m.Session.Connection.Has(InitFlags.Passthrough), "the kernel did not accept FUSE passthrough");
        var (mnt, src) = File(m);
        int fd = Open(mnt, O_RDWR);
        try
        {
            Assert.Equal(1, m.Session.Backing.Registered);           // reads and writes bypass the daemon
            Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 10));
            Assert.Equal(0, Err(flock(fd, LOCK_EX)));
            Assert.Equal(new[] { "EAGAIN", "w 0 10 pid=-1" }, Run(src, "setlk:r:0:1", "getlk:r:0:0"));
            Assert.Equal(1, Flock("-s", src));
            using (var holder = Holder(src, "setlk:w:100:10"))
            {
                Assert.Equal(Errno.EAGAIN, Lock(fd, F_SETLK, F_RDLCK, 105, 1));
                Let(holder);
            }
        }
        finally { close(fd); }
        Released(m, 0);
        Assert.Equal(0, Flock("-x", src));
        Assert.Equal(new[] { "unlck" }, Run(src, "getlk:w:0:0"));

        // Two opens share the first one's backing file, which keeps that open file alive past its RELEASE: its flock
        // must still go with it.
        int a = Open(mnt, O_RDWR), b = Open(mnt, O_RDWR);
        try
        {
            Assert.Equal(1, m.Session.Backing.Registered);
            Assert.Equal(0, Err(flock(a, LOCK_EX)));
            close(a);
            a = -1;
            Released(m, 1);
            Assert.Equal(0, Flock("-x", src));
        }
        finally
        {
            if (a >= 0) close(a);
            close(b);
        }
        NoLockDescriptorsLeft(m);
    }
}

public sealed class LoopbackLockTests_DevFuse() : LoopbackLockTests(TransportKind.DevFuse);
public sealed class LoopbackLockTests_Uring() : LoopbackLockTests(TransportKind.Uring);
public sealed class LoopbackLockTests_FuseUring() : LoopbackLockTests(TransportKind.FuseUring);
