using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Native;

/// <summary>
/// The rest of fastfuse.h from C, through the kernel, on each transport (tests/FastFuse.Tests/Native/c/extra_fs.c
/// and mount_fd.c): notifications, passthrough backing files, poll with a wakeup, ioctl answered later, statx,
/// O_TMPFILE, forget_multi, and serving a mount made by the caller (fastfuse_mount_fd).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public abstract unsafe class NativeExtraTestsBase(string transport)
{
    private protected const int SIGTERM = 15;
    private const int O_TMPFILE = 0x410000;
    private const short POLLIN = 1;
    private static readonly Lazy<string> s_extra = new(() => Compile("extra_fs"));
    private static readonly Lazy<string> s_mountFd = new(() => Compile("mount_fd"));

    private static string Compile(string name) =>
        NativeBuild.CompileC(Path.Combine(NativeBuild.Repo, "tests", "FastFuse.Tests", "Native", "c", name + ".c"), name);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int Fd; public short Events, Revents; }
    [DllImport("libc", SetLastError = true)] private static extern int poll(ref PollFd fds, ulong nfds, int timeout);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, ulong request, ref ulong arg);

    private protected ChildProcess Start(TempDir mnt, string more = "")
    {
        var fs = ChildProcess.Start(s_extra.Value, mnt.Path, $"fsname=extra_fs,transport={transport}{more}");
        Assert.True(fs.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "extra_fs did not start\n" + fs.AllOutput);
        return fs;
    }

    /// <summary>Write a command to ctl and wait for the line it prints (starting with <paramref name="reply"/>).</summary>
    private protected static string Ctl(ChildProcess fs, string mnt, string cmd, string reply)
    {
        int before = fs.Stdout.Count(l => l.StartsWith(reply, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(mnt, "ctl"), cmd + "\n");
        Assert.True(fs.WaitForStdout(l => l.StartsWith(reply, StringComparison.Ordinal) && fs.Stdout.Count(x => x.StartsWith(reply, StringComparison.Ordinal)) > before,
            TimeSpan.FromSeconds(10)), $"no '{reply}' after '{cmd}'\n" + fs.AllOutput);
        return fs.Stdout.Last(l => l.StartsWith(reply, StringComparison.Ordinal));
    }

    [MountFact]
    public void Notifications_ChangeWhatTheKernelCached()
    {
        using var mnt = new TempDir();
        using var fs = Start(mnt);
        string F(string n) => Path.Combine(mnt.Path, n);

        // inval_entry: a negative entry cached for an hour goes when told.
        Assert.False(File.Exists(F("ghost")));
        Assert.Equal("inval_entry=0", Ctl(fs, mnt.Path, "ghost", "inval_entry="));
        Assert.True(File.Exists(F("ghost")));
        // delete: the name goes at once, although its entry was good for an hour.
        Assert.Equal("delete=0", Ctl(fs, mnt.Path, "unghost", "delete="));
        Assert.False(File.Exists(F("ghost")));
        // inc_epoch: every cached name is stale.
        Assert.False(File.Exists(F("ghost2")));
        Assert.Equal("inc_epoch=0", Ctl(fs, mnt.Path, "ghost2", "inc_epoch="));
        Assert.True(File.Exists(F("ghost2")));
        // store: bytes put into the page cache are read back without a READ; retrieve gives them back.
        using (var h = File.OpenHandle(F("cached"), FileMode.Open, FileAccess.Read))
        {
            Assert.Equal("store=0", Ctl(fs, mnt.Path, "store", "store="));
            var buf = new byte[16];
            Assert.Equal(5, RandomAccess.Read(h, buf, 0));
            Assert.Equal("hello", Encoding.ASCII.GetString(buf, 0, 5));
            Assert.Equal("retrieve=0", Ctl(fs, mnt.Path, "retrieve", "retrieve="));
            Assert.True(fs.WaitForStdout(l => l == "retrieved cached err=0 off=0 hello", TimeSpan.FromSeconds(10)), fs.AllOutput);
        }
        // inval_inode: attributes cached for an hour are asked again.
        Assert.Equal(5, new FileInfo(F("cached")).Length);
        Assert.Equal("inval_inode=0", Ctl(fs, mnt.Path, "grow", "inval_inode="));
        Assert.Equal(4096, new FileInfo(F("cached")).Length);
        // resend and prune are taken by this kernel; a bad name and an unknown node are refused.
        Assert.Equal("resend=0 prune=0 bad_entry=-22 unknown_inode=-2", Ctl(fs, mnt.Path, "misc", "resend="));

        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
        Assert.True(fs.ExitCode == 0, fs.AllOutput);
        Assert.Contains("reads pass=0 cached=0", fs.Stdout);   // the stored bytes came from the cache
        Assert.Contains("null session store=-22", fs.Stdout);
    }

    [MountFact]
    public void Passthrough_Poll_Ioctl_Statx_Tmpfile_Forget()
    {
        using var mnt = new TempDir();
        using var fs = Start(mnt);
        string F(string n) => Path.Combine(mnt.Path, n);

        // Passthrough: the open registers a backing file; reads go to it and never reach the filesystem.
        Assert.Contains("init passthrough=1", fs.Stdout);
        Assert.Equal("through the backing file\n", File.ReadAllText(F("pass")));
        Assert.True(fs.WaitForStdout(l => l == "backing_open ok session=1", TimeSpan.FromSeconds(5)), fs.AllOutput);

        // poll: not ready (the handle is kept), then the wakeup makes poll(2) return readable.
        int pfd = Open(F("pollme"), O_RDONLY);
        try
        {
            var p = new PollFd { Fd = pfd, Events = POLLIN };
            Assert.Equal(0, poll(ref p, 1, 200));
            var waiter = Task.Run(() => { var q = new PollFd { Fd = pfd, Events = POLLIN }; int r = poll(ref q, 1, 10_000); return (r, q.Revents); });
            Thread.Sleep(100);
            Assert.Equal("notify_poll=0 had_kh=1", Ctl(fs, mnt.Path, "ready", "notify_poll="));
            Assert.True(waiter.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal((1, POLLIN), waiter.Result);
        }
        finally { close(pfd); }

        // ioctl answered later from the second thread.
        int ifd = Open(F("ioc"), O_RDONLY);
        try
        {
            ulong flags = 0;
            Assert.Equal(0, ioctl(ifd, 0x80086601, ref flags));   // FS_IOC_GETFLAGS
            Assert.Equal(0x80ul, flags & 0xffffffff);
            Assert.Equal(-1, ioctl(ifd, 0x80086699, ref flags));
            Assert.Equal(25, Marshal.GetLastPInvokeError());       // ENOTTY
        }
        finally { close(ifd); }

        // statx with the birth time.
        byte* b = stackalloc byte[256];
        new Span<byte>(b, 256).Clear();
        Assert.Equal(0, statx(AT_FDCWD, F("cached"), 0, 0x7ffu | 0x800, b));   // STATX_BASIC_STATS | STATX_BTIME
        Assert.NotEqual(0u, *(uint*)b & 0x800);
        Assert.Equal(1234567890L, *(long*)(b + 80));
        Assert.Equal(42u, *(uint*)(b + 88));

        // O_TMPFILE: a file without a name.
        int tfd = open(mnt.Path, O_TMPFILE | O_RDWR, 0x180);
        Assert.True(tfd >= 0, $"O_TMPFILE: {Marshal.GetLastPInvokeError()}\n{fs.AllOutput}");
        close(tfd);
        Assert.True(fs.WaitForStdout(l => l.StartsWith("tmpfile umask="), TimeSpan.FromSeconds(5)), fs.AllOutput);

        // Twenty names dropped from the caches: each is forgotten (through forget or forget_multi).
        for (int i = 0; i < 20; i++) Assert.True(File.Exists(F($"f{i:00}")));
        File.WriteAllText("/proc/sys/vm/drop_caches", "2");
        Thread.Sleep(300);

        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
        Assert.True(fs.ExitCode == 0, fs.AllOutput);
        Assert.Contains("reads pass=0 cached=0", fs.Stdout);
        var forgets = fs.Stdout.Single(l => l.StartsWith("forgets "));
        var kv = forgets.Split(' ').Skip(1).Select(x => x.Split('=')).ToDictionary(x => x[0], x => long.Parse(x[1]));
        Assert.True(kv["multi_nodes"] + kv["single"] >= 20, forgets);
        Assert.DoesNotContain(fs.Stdout, l => l.Contains("failed"));
    }

    [MountFact]
    public void MountFd_ServesAMountTheCallerMade()
    {
        using var mnt = new TempDir();
        using var p = ChildProcess.Start(s_mountFd.Value, mnt.Path, $"threads=1,transport={transport}");
        Assert.True(p.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "mount_fd did not start\n" + p.AllOutput);
        Assert.Contains(p.Stdout, l => l.StartsWith("refused: fastfuse_mount_fd: 'allow_other' is a mount option", StringComparison.Ordinal));
        Assert.Contains(p.Stdout, l => l == "refused: fastfuse_mount_fd: bad fd -1");
        Assert.Equal("served from a descriptor\n", File.ReadAllText(Path.Combine(mnt.Path, "hello")));
        p.Signal(SIGTERM);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "the session did not end after umount2\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, p.AllOutput);
        // fastfuse_run lends the calling thread to the first loop: with one thread, every callback runs there.
        Assert.Contains("ended 0 init_on_caller=1 lookup_on_caller=1", p.Stdout);
        Assert.False(MountTable.IsMounted(mnt.Path));
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeExtraTests() : NativeExtraTestsBase("devfuse")
{
    /// <summary>A callback that blocks holds its worker only: with two workers, while one is blocked in a READ of
    /// "gate", the other serves a lookup, a stat and the WRITE to ctl that opens the gate (with one worker that WRITE
    /// could never be served, and the gate would time out after 20 s).</summary>
    [MountFact]
    public void ABlockingCallbackHoldsOnlyItsWorker()
    {
        using var mnt = new TempDir();
        using var fs = Start(mnt, ",threads=2");
        var gate = Task.Run(() => File.ReadAllText(Path.Combine(mnt.Path, "gate")));
        Assert.True(fs.WaitForStdout(l => l == "gated", TimeSpan.FromSeconds(10)), fs.AllOutput);
        Assert.True(File.Exists(Path.Combine(mnt.Path, "f07")));
        Assert.Equal(25, new FileInfo(Path.Combine(mnt.Path, "pass")).Length);
        Assert.False(gate.IsCompleted, "the blocked read finished before the other worker was used");
        Ctl(fs, mnt.Path, "open", "gate open");
        Assert.True(gate.Wait(TimeSpan.FromSeconds(10)), fs.AllOutput);
        Assert.Contains("gate opened", fs.Stdout);
        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
    }

    /// <summary>forget_multi: with one worker held in a callback, the forgets the kernel queues meanwhile come as
    /// one BATCH_FORGET once it reads again (on /dev/fuse; a ring has reads in flight that take them one by one).</summary>
    [MountFact]
    public void ForgetsQueuedWhileTheWorkerIsBusy_ComeAsOneBatch()
    {
        using var mnt = new TempDir();
        using var fs = Start(mnt, ",threads=1");   // the class is /dev/fuse's: one worker makes the batch certain
        string F(string n) => Path.Combine(mnt.Path, n);
        for (int i = 0; i < 20; i++) Assert.True(File.Exists(F($"f{i:00}")));
        var hold = Task.Run(() => File.ReadAllText(F("hold")));
        Assert.True(fs.WaitForStdout(l => l == "holding", TimeSpan.FromSeconds(10)), fs.AllOutput);
        File.WriteAllText("/proc/sys/vm/drop_caches", "2");
        Assert.True(hold.Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(300);
        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
        var forgets = fs.Stdout.Single(l => l.StartsWith("forgets "));
        var kv = forgets.Split(' ').Skip(1).Select(x => x.Split('=')).ToDictionary(x => x[0], x => long.Parse(x[1]));
        Assert.True(kv["multi_calls"] >= 1 && kv["multi_nodes"] >= 10, forgets);
    }
}
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeExtraTests_Uring() : NativeExtraTestsBase("uring");
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeExtraTests_FuseUring() : NativeExtraTestsBase("fuse-uring");
