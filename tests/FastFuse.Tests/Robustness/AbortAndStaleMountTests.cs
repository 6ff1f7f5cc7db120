using System.Diagnostics;
using System.Runtime.InteropServices;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Mounting;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// The connection ends from outside: the kernel aborts it (fusectl) during I/O, or the daemon is killed and leaves
/// a stale mount for the next one to clear.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed unsafe class AbortAndStaleMountTests(ITestOutputHelper output)
{
    private static readonly int[] VanishedMountErrors = { Errno.ENOTCONN, Errno.ECONNABORTED, Errno.EIO, Errno.ENODEV };

    private static void WriteAbort(uint connectionId)
    {
        Assert.True(connectionId != 0, "the mount has no connection id");
        Assert.True(Mounter.EnsureConnectionsFs(), "fusectl is not available on /sys/fs/fuse/connections");
        File.WriteAllText($"{Mounter.ConnectionsDir}/{connectionId}/abort", "1");
    }

    /// <summary>Threads that read and write files under <paramref name="mnt"/> until stopped or until I/O fails.</summary>
    private sealed class IoLoad : IDisposable
    {
        private readonly List<Thread> _threads = new();
        private readonly int[] _errno;
        private volatile bool _stop;
        private readonly CountdownEvent _started;

        public IoLoad(string mnt, int threads)
        {
            _errno = new int[threads];
            _started = new CountdownEvent(threads);
            for (int i = 0; i < threads; i++)
            {
                int idx = i;
                var t = new Thread(() => Loop(Path.Combine(mnt, $"load{idx}"), idx)) { IsBackground = true, Name = $"io-load-{idx}" };
                _threads.Add(t);
                t.Start();
            }
            Assert.True(_started.Wait(TimeSpan.FromSeconds(10)), "the I/O threads did not start");
        }

        private void Loop(string path, int idx)
        {
            byte* buf = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
            int fd = -1;
            bool signalled = false;
            try
            {
                fd = Posix.open(path, Posix.O_RDWR | Posix.O_CREAT | Posix.O_CLOEXEC, 0x1A4);
                if (fd < 0) { _errno[idx] = Marshal.GetLastPInvokeError(); return; }
                for (long i = 0; !_stop; i++)
                {
                    nint r = (i & 1) == 0 ? Posix.pwrite(fd, buf, 4096, (i % 16) * 4096) : Posix.pread(fd, buf, 4096, (i % 16) * 4096);
                    if (r < 0) { _errno[idx] = Marshal.GetLastPInvokeError(); return; }
                    if (!signalled) { _started.Signal(); signalled = true; }
                }
            }
            finally
            {
                if (!signalled) _started.Signal();
                if (fd >= 0) Posix.close(fd);
                NativeMemory.AlignedFree(buf);
            }
        }

        /// <summary>Wait for every thread to end by itself (the mount failed under it); their errnos.</summary>
        public int[] WaitFailed(TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            foreach (var t in _threads)
                Assert.True(t.Join(timeout - sw.Elapsed > TimeSpan.Zero ? timeout - sw.Elapsed : TimeSpan.Zero), $"{t.Name} still blocked after the abort");
            return _errno;
        }

        public void Dispose()
        {
            _stop = true;
            foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
            _started.Dispose();
        }
    }

    [MountFact]
    public void Kernel_abort_during_io_ends_the_session_cleanly()
    {
        using var log = new LogLines(LogLevel.Info);
        string dir = Directory.CreateTempSubdirectory("fastfuse-abort-").FullName;
        string mnt = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(mnt);
        var mo = MountOptions.Parse("fsname=fastfuse-abort");
        mo.Subtype = "abort";
        var session = FuseSession.Mount(new MemFs(new MemFsOptions { DirectIo = true }), mnt, mo, new SessionOptions { Threads = 3 });
        try
        {
            session.Start();
            Assert.True(session.WaitForInit(TimeSpan.FromSeconds(5)));
            uint id = session.MountHandle!.ConnectionId;
            using (var load = new IoLoad(mnt, 4))
            {
                Thread.Sleep(20);
                WriteAbort(id);
                Assert.True(session.Wait(TimeSpan.FromSeconds(5)), "the session did not end within 5 s of the abort");
                var errnos = load.WaitFailed(TimeSpan.FromSeconds(5));
                foreach (int e in errnos)
                    Assert.True(VanishedMountErrors.Contains(e), $"I/O after the abort failed with {Errno.Name(e)}, expected ECONNABORTED/ENOTCONN");
                output.WriteLine($"I/O errors after abort: {string.Join(", ", errnos.Select(Errno.Name))}");
            }
            Assert.True(session.Aborted, "Session.Aborted is false after a fusectl abort");
            Assert.True(session.IsClosed);
            // The aborted mount answers ENOTCONN until it is unmounted; Dispose clears it.
            Assert.Equal(Errno.ENOTCONN, RLibc.StatErrno(mnt));
            var sw = Stopwatch.StartNew();
            session.Dispose();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"Dispose after the abort took {sw.Elapsed}");
            Assert.Null(Mountpoint.FindMount(mnt));
            Assert.Equal(0, session.BuffersOutstanding);
            var s = session.Stats;
            output.WriteLine($"requests={s.TotalRequests} dropped-stale={s.DroppedStale} enoent={s.ReplyNotFound} enodev={s.ReplyNoDevice} other={s.ReplyOtherErrors}");
            Assert.Equal(0, s.ReplyOtherErrors);
            Assert.Empty(log.AtLeast(LogLevel.Warn));
        }
        finally
        {
            if (!session.IsClosed) Mounter.Abort(session.MountHandle!.ConnectionId);
            session.Dispose();
            if (Mountpoint.FindMount(mnt) is not null) RLibc.umount2(mnt, 2);
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [MountFact]
    public void Cli_exits_0_with_one_line_when_the_kernel_aborts_the_connection()
    {
        string dir = Directory.CreateTempSubdirectory("fastfuse-cliabort-").FullName;
        string mnt = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(mnt);
        try
        {
            using var cli = new CliBinary.Running("memfs", mnt, "-f", "-o", "direct_io");
            var info = CliBinary.WaitForMount(mnt, TimeSpan.FromSeconds(20), () => !cli.Process.HasExited);
            Assert.True(info is not null, $"the CLI did not mount: {string.Join(" | ", cli.Stderr)}");
            using (var load = new IoLoad(mnt, 3))
            {
                Thread.Sleep(20);
                WriteAbort(info!.Minor);
                Assert.True(cli.WaitExit(TimeSpan.FromSeconds(10)), "the CLI did not exit within 10 s of the abort");
                load.WaitFailed(TimeSpan.FromSeconds(5));
            }
            var err = cli.Stderr;
            output.WriteLine("stderr: " + string.Join(" | ", err));
            Assert.Equal(0, cli.Process.ExitCode);
            Assert.Single(err);
            Assert.Contains("abort", err[0]);
            Assert.Contains(mnt, err[0]);
            Assert.True(CliBinary.WaitForUnmount(mnt, TimeSpan.FromSeconds(2)), "the aborted mount was left behind");
        }
        finally
        {
            if (Mountpoint.FindMount(mnt) is not null) RLibc.umount2(mnt, 2);
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [MountFact]
    public void Daemon_killed_with_SIGKILL_leaves_ENOTCONN_and_the_next_start_clears_it()
    {
        string dir = Directory.CreateTempSubdirectory("fastfuse-stale-").FullName;
        string mnt = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(mnt);
        try
        {
            using (var first = new CliBinary.Running("memfs", mnt, "-f"))
            {
                Assert.True(CliBinary.WaitForMount(mnt, TimeSpan.FromSeconds(20), () => !first.Process.HasExited) is not null,
                    $"the first CLI did not mount: {string.Join(" | ", first.Stderr)}");
                File.WriteAllText(Path.Combine(mnt, "x"), "hello");
                Assert.Equal(0, RLibc.kill(first.Process.Id, RLibc.SIGKILL));
                Assert.True(first.WaitExit(TimeSpan.FromSeconds(10)));
            }
            // ENOTCONN; or ECONNABORTED for a request that was queued in the dead daemon's fuse-uring rings (the
            // connection ends when the kernel has torn its rings down, a moment after the process).
            int dead = RLibc.StatErrno(mnt);
            Assert.True(dead is Errno.ENOTCONN or Errno.ECONNABORTED, $"stat of the dead mount: {Errno.Name(dead)}");

            using var second = new CliBinary.Running("memfs", mnt, "-f");
            var sw = Stopwatch.StartNew();
            while (RLibc.StatErrno(mnt) != 0 || Mountpoint.FindMount(mnt)?.FsType.StartsWith("fuse") != true)
            {
                Assert.False(second.Process.HasExited, $"the second CLI exited: {string.Join(" | ", second.Stderr)}");
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), "the second CLI did not mount");
                Thread.Sleep(10);
            }
            // A fresh, empty memfs answers now, not the dead daemon's.
            Assert.False(File.Exists(Path.Combine(mnt, "x")));
            File.WriteAllText(Path.Combine(mnt, "y"), "again");
            // stderr is read asynchronously: give the line a moment to arrive.
            var stderr = second.Stderr;
            for (var w = Stopwatch.StartNew(); !stderr.Any(l => l.Contains("stale")) && w.Elapsed < TimeSpan.FromSeconds(5); stderr = second.Stderr)
                Thread.Sleep(10);
            output.WriteLine("stderr: " + string.Join(" | ", stderr));
            Assert.Contains(stderr, l => l.Contains("stale") && l.Contains(mnt));

            Assert.Equal(0, RLibc.kill(second.Process.Id, RLibc.SIGINT));
            Assert.True(second.WaitExit(TimeSpan.FromSeconds(10)), "the second CLI did not exit on SIGINT");
            Assert.Equal(0, second.Process.ExitCode);
            Assert.Null(Mountpoint.FindMount(mnt));
            Assert.Equal(0, RLibc.StatErrno(mnt));
        }
        finally
        {
            while (Mountpoint.FindMount(mnt) is not null && RLibc.umount2(mnt, 2) == 0) { }
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
