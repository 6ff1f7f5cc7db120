using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Record locks (fcntl, OFD) and flock between two processes through the kernel: this test process and a small C
/// helper (Mount/Helpers/locker.c) or flock(1). Each scenario runs on a file on ext4 and on one through the mount,
/// and the two transcripts must be the same: ranges that merge and split, upgrade and downgrade, what F_GETLK
/// reports, release on the close of any descriptor, OFD locks per open file, waiting that holds no worker,
/// interruption (EINTR) and deadlock (EDEADLK). MemFs keeps the locks itself; LoopbackFs forwards them to its source
/// (OFD locks on descriptors of its own, flock on the open file's: LoopbackLocks.cs), with the same transcripts;
/// LoopbackLockTests has what a process on the source sees.
/// </summary>
[Collection(LockCollection.Name)]
public abstract class LockTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);
    private static string Locker => CHelpers.Get("Mount/Helpers/locker.c");

    private static IEnumerable<string> Run(string path, params string[] commands)
    {
        var r = Command.Run(Locker, new[] { path }.Concat(commands), T);
        Assert.True(r.ExitCode == 0, r.All);
        return commands.Zip(r.Stdout, (c, o) => $"  child {c}: {o}");
    }

    private static string Self(string what, int result) => $"self {what}: {(result == 0 ? "ok" : FastFuse.Kernel.Errno.Name(result))}";

    private static List<string> RecordLockScenario(string path)
    {
        var t = new List<string>();
        WriteFile(path, new byte[4096]);
        int fd = Open(path, O_RDWR);
        try
        {
            t.Add(Self("W 0+100", Lock(fd, F_SETLK, F_WRLCK, 0, 100)));
            t.Add(Self("R 200+100", Lock(fd, F_SETLK, F_RDLCK, 200, 100)));
            t.Add(Self("W 100+100 (touches: merges)", Lock(fd, F_SETLK, F_WRLCK, 100, 100)));
            t.AddRange(Run(path, "getlk:w:50:10", "getlk:r:250:1", "getlk:r:150:1", "setlk:w:0:10", "setlk:r:250:10",
                "setlk:w:250:10", "setlk:w:300:100", "getlk:r:0:0", "setlkw:r:210:5"));
            t.Add(Self("R 0+300 (downgrade)", Lock(fd, F_SETLK, F_RDLCK, 0, 300)));
            t.AddRange(Run(path, "setlk:r:0:10", "setlk:w:0:10", "getlk:w:0:0"));
            t.Add(Self("U 50+50 (splits)", Lock(fd, F_SETLK, F_UNLCK, 50, 50)));
            t.AddRange(Run(path, "setlk:w:60:10", "getlk:w:0:0", "getlk:w:100:0"));
            t.Add(Self("W 0+0 (upgrade all, own locks never conflict)", Lock(fd, F_SETLK, F_WRLCK, 0, 0)));
            t.AddRange(Run(path, "getlk:r:4000:1"));
            // A close of any descriptor of the file releases every lock of this process on it.
            close(Open(path, O_RDONLY));
            t.AddRange(Run(path, "getlk:w:0:0", "setlk:w:0:0"));
        }
        finally { close(fd); }
        return t;
    }

    private static List<string> OfdScenario(string path)
    {
        var t = new List<string>();
        WriteFile(path, new byte[4096]);
        int a = Open(path, O_RDWR), b = Open(path, O_RDWR);
        try
        {
            t.Add(Self("a OFD W 0+10", Lock(a, F_OFD_SETLK, F_WRLCK, 0, 10)));
            t.Add(Self("b OFD W 5+10 (another open file)", Lock(b, F_OFD_SETLK, F_WRLCK, 5, 10)));
            t.Add(Self("b POSIX W 0+10 (process lock against OFD)", Lock(b, F_SETLK, F_WRLCK, 0, 10)));
            t.Add(Self("a OFD W 5+20 (own: extends)", Lock(a, F_OFD_SETLK, F_WRLCK, 5, 20)));
            t.AddRange(Run(path, "ofd-getlk:w:0:0", "ofd-setlk:r:20:1", "setlk:r:30:1"));
            // Closing another descriptor does not end an OFD lock; closing its open file does.
            close(b);
            b = -1;
            t.AddRange(Run(path, "ofd-setlk:w:0:1"));
            close(a);
            a = -1;
            t.AddRange(Run(path, "ofd-setlk:w:0:1", "ofd-getlk:w:0:0"));
        }
        finally
        {
            if (a >= 0) close(a);
            if (b >= 0) close(b);
        }
        return t;
    }

    private void SameAsExt4(Func<string, List<string>> scenario)
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            var want = scenario(ext4 + "/f");
            var got = scenario(m["f"]);
            Assert.True(want.SequenceEqual(got), $"ext4:\n{string.Join('\n', want)}\nmount:\n{string.Join('\n', got)}");
            Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void RecordLocks_BetweenTwoProcesses_AsOnExt4() => SameAsExt4(RecordLockScenario);

    [MountFact]
    public void OfdLocks_PerOpenFile_AsOnExt4() => SameAsExt4(OfdScenario);

    [MountFact]
    public void Setlkw_WaitsWithoutHoldingAWorker_ThenIsGrantedInTurn()
    {
        using var m = Mount(NoCache);                 // two workers
        WriteFile(m["f"], new byte[64]);
        int fd = Open(m["f"], O_RDWR);
        var waiters = new List<Child>();
        try
        {
            Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 10));
            // More waiters than workers, and than a fuse-uring queue has entries (8 per CPU): a waiter parked on a
            // worker, or an entry no new request can use, would leave nothing for the stats below and the unlock.
            for (int i = 0; i < 24; i++) waiters.Add(new Child(Locker, new[] { m["f"], "setlkw:w:0:10", "sleep:20" }));
            Thread.Sleep(300);
            foreach (var w in waiters) Assert.True(w.Silent(TimeSpan.FromMilliseconds(10)), "a waiter got the lock while it was held");
            for (int i = 0; i < 20; i++) Assert.Equal(64L, Stat(m["f"]).Size);
            Assert.Equal(0, Lock(fd, F_SETLK, F_UNLCK, 0, 10));
            // Each gets it, holds it 20 ms, exits (its close releases it), and the next one gets it.
            foreach (var w in waiters)
            {
                Assert.Equal("ok", w.ReadLine(T));
                Assert.Equal(0, w.WaitExit(T));
            }
        }
        finally
        {
            close(fd);
            foreach (var w in waiters) w.Dispose();
        }
    }

    [MountFact]
    public void Setlkw_InterruptedByASignal_IsEINTR_AsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (var path in new[] { ext4 + "/f", m["f"] })
            {
                WriteFile(path, new byte[64]);
                int fd = Open(path, O_RDWR);
                try
                {
                    Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 10));
                    var r = Command.Run(Locker, new[] { path, "alarm:300", "setlkw:w:0:10" }, T);
                    Assert.Equal(new[] { "ok", "EINTR" }, r.Stdout);
                    // The interrupted waiter is gone: nobody got the lock meanwhile, and it can be had once free.
                    Assert.Equal(0, Lock(fd, F_SETLK, F_UNLCK, 0, 10));
                    Assert.Equal(new[] { "unlck", "ok" }, Command.Run(Locker, new[] { path, "getlk:w:0:0", "setlk:w:0:10" }, T).Stdout);
                }
                finally { close(fd); }
            }
            Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void Setlkw_ThatWouldCloseACycle_IsEDEADLK_AsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (var path in new[] { ext4 + "/f", m["f"] })
            {
                WriteFile(path, new byte[64]);
                int fd = Open(path, O_RDWR);
                try
                {
                    Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 10));
                    // The child takes 10+10, then waits for 0+10, which this process holds.
                    using var child = new Child(Locker, new[] { path, "setlk:w:10:10", "setlkw:w:0:10" });
                    Assert.Equal("ok", child.ReadLine(T));
                    Assert.True(child.Silent(TimeSpan.FromMilliseconds(300)));
                    // Waiting for 10+10 now would wait for a process that waits for us.
                    int r = -1;
                    var t = new Thread(() => r = Lock(fd, F_SETLKW, F_WRLCK, 10, 10));
                    t.Start();
                    Assert.True(t.Join(T), "F_SETLKW that closes a cycle waited instead of failing");
                    Assert.Equal(FastFuse.Kernel.Errno.EDEADLK, r);
                    Assert.Equal(0, Lock(fd, F_SETLK, F_UNLCK, 0, 10));
                    Assert.Equal("ok", child.ReadLine(T));
                    Assert.Equal(0, child.WaitExit(T));
                }
                finally { close(fd); }
            }
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void Flock_WithFlock1_SharedExclusiveWaitAndRelease()
    {
        const string Flock1 = "/usr/bin/flock";
        using var m = Mount(NoCache);
        WriteFile(m["f"], new byte[8]);
        int fd = Open(m["f"], O_RDONLY);
        try
        {
            Assert.Equal(0, Err(flock(fd, LOCK_SH)));
            Assert.Equal(0, Command.Run(Flock1, new[] { "-s", "-n", m["f"], "/bin/true" }, T).ExitCode);     // shared + shared
            Assert.Equal(1, Command.Run(Flock1, new[] { "-x", "-n", m["f"], "/bin/true" }, T).ExitCode);     // exclusive: busy
            Assert.Equal(0, Err(flock(fd, LOCK_EX | LOCK_NB)));                                               // upgrade
            Assert.Equal(1, Command.Run(Flock1, new[] { "-s", "-n", m["f"], "/bin/true" }, T).ExitCode);
            // A waiter killed while it waits leaves nothing behind.
            using (var killed = new Child(Flock1, new[] { "-x", m["f"], "/bin/true" }))
            {
                Assert.True(killed.Silent(TimeSpan.FromMilliseconds(300)));
                killed.Signal(15);
                killed.WaitExit(T);
            }
            // A waiter that is there when the lock goes gets it; record locks do not interfere with flock.
            using var waiter = new Child(Flock1, new[] { "-x", "-w", "20", m["f"], "/bin/echo", "got it" });
            Assert.True(waiter.Silent(TimeSpan.FromMilliseconds(300)));
            Assert.Equal(0, Command.Run(Locker, new[] { m["f"], "setlk:w:0:0" }, T).ExitCode);
            close(fd);                                                                                      // last close: the flock goes
            fd = -1;
            Assert.Equal("got it", waiter.ReadLine(T));
            Assert.Equal(0, waiter.WaitExit(T));
            Assert.Equal(0, Command.Run(Flock1, new[] { "-x", "-n", m["f"], "/bin/true" }, T).ExitCode);
            Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
        }
        finally { if (fd >= 0) close(fd); }
    }
}

/// <summary>The lock tests start many processes and wait on them: a process's exit is seen through the thread pool,
/// which the parallel mount tests keep busy on this two-core machine, so they run apart, after those.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LockCollection
{
    public const string Name = "locks (child processes; not parallel)";
}

public sealed class LockTests_MemFs() : LockTests(FsKind.MemFs);
public sealed class LockTests_Loopback() : LockTests(FsKind.Loopback);
public sealed class LockTests_MemFs_FuseUring() : LockTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class LockTests_MemFs_Uring() : LockTests(FsKind.MemFs, TransportKind.Uring);
public sealed class LockTests_Loopback_FuseUring() : LockTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class LockTests_Loopback_Uring() : LockTests(FsKind.Loopback, TransportKind.Uring);
