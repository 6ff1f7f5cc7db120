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
/// The unmount storm: mount a MemFs by DirectMount, let several threads hold files open and read and write, and
/// unmount under them — cycle after cycle in one process. Every cycle is bounded; afterwards the process holds
/// exactly the fds and threads it held before, every buffer is back, and the log holds no warning or error.
/// FASTFUSE_STORM_CYCLES sets the number of cycles (default 200; scripts/stress.sh --long runs 1,000).
/// </summary>
public abstract unsafe class UnmountStormTestsBase(ITestOutputHelper output, TransportKind transport)
{
    private static readonly TimeSpan UnmountTimeout = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan CycleBound = TimeSpan.FromSeconds(10);
    private const int IoThreads = 4;
    private const int FileSize = 64 * 1024;

    private sealed class Totals
    {
        public long Cycles, DroppedStale, ReplyNotFound, ReplyNoDevice, ReplyOtherErrors, ProtocolErrors, HandlerExceptions;
        public long Requests, Releases, Aborted, Busy, IoOps;
        public readonly Dictionary<int, int> IoErrors = new();
        public readonly Dictionary<string, int> Modes = new();
        public TimeSpan SlowestCycle;
    }

    /// <summary>The errnos a process doing I/O on a mount that is taken away may see.</summary>
    private static readonly int[] ExpectedIoErrors = { Errno.ENOTCONN, Errno.ECONNABORTED, Errno.EIO, Errno.ENODEV };

    [MountFact]
    public void Storm_of_unmounts_under_open_files_leaks_nothing_and_logs_no_errors()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("FASTFUSE_STORM_CYCLES"), out int c) && c > 0 ? c : 200;
        string dir = Directory.CreateTempSubdirectory("fastfuse-storm-").FullName;
        string mnt = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(mnt);
        var rng = new Random(4242);
        var totals = new Totals();
        var sw = Stopwatch.StartNew();
        using var log = new LogLines(LogLevel.Info);
        try
        {
            // Two warm-up cycles: the JIT, the GC and the runtime's own threads settle before the baseline.
            RunCycle(mnt, rng, new Totals(), 0);
            RunCycle(mnt, rng, new Totals(), 1);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int fdBase = ProcessCounts.Fds();
            int threadBase = ProcessCounts.NonPoolThreads();
            int allThreadsBase = ProcessCounts.Threads();
            long memBase = GC.GetTotalMemory(forceFullCollection: true);
            var fdsBefore = ProcessCounts.FdTargets();

            for (int i = 0; i < cycles; i++)
            {
                RunCycle(mnt, rng, totals, i);
                int fds = ProcessCounts.SettleTo(ProcessCounts.Fds, fdBase, TimeSpan.FromSeconds(2));
                if (fds != fdBase)
                {
                    var extra = ProcessCounts.FdTargets().Except(fdsBefore);
                    Assert.Fail($"cycle {i}: {fds} fds open, baseline {fdBase}; new: {string.Join(", ", extra)}; threads: {string.Join(", ", ProcessCounts.ThreadNames())}");
                }
                int threads = ProcessCounts.SettleTo(ProcessCounts.NonPoolThreads, threadBase, TimeSpan.FromSeconds(2));
                Assert.True(threads <= threadBase,
                    $"cycle {i}: {threads} threads, baseline {threadBase}: {string.Join(", ", ProcessCounts.ThreadNames())}");
            }

            long memAfter = GC.GetTotalMemory(forceFullCollection: true);
            var noisy = log.AtLeast(LogLevel.Warn);
            string report =
                $"storm: {totals.Cycles} cycles in {sw.Elapsed.TotalSeconds:F1} s (slowest {totals.SlowestCycle.TotalMilliseconds:F0} ms); " +
                $"modes {string.Join(" ", totals.Modes.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"))}\n" +
                $"storm: replies dropped-stale={totals.DroppedStale} enoent={totals.ReplyNotFound} enodev={totals.ReplyNoDevice} " +
                $"other-errors={totals.ReplyOtherErrors} protocol-errors={totals.ProtocolErrors} handler-exceptions={totals.HandlerExceptions}\n" +
                $"storm: requests={totals.Requests} releases={totals.Releases} io-ops={totals.IoOps} aborted-sessions={totals.Aborted} " +
                $"busy-unmounts={totals.Busy} io-errors {string.Join(" ", totals.IoErrors.OrderBy(k => k.Key).Select(k => $"{Errno.Name(k.Key)}={k.Value}"))}\n" +
                $"storm: fds {fdBase} -> {ProcessCounts.Fds()}, threads (not the runtime's) {threadBase} -> {ProcessCounts.NonPoolThreads()}, " +
                $"all threads {allThreadsBase} -> {ProcessCounts.Threads()}, " +
                $"managed heap {memBase / 1024} KiB -> {memAfter / 1024} KiB, log lines {log.All.Count} (warn/error {noisy.Count})";
            output.WriteLine(report);
            Console.WriteLine(report);

            Assert.Empty(noisy);
            // The runtime's own pools may grow a little; 200 cycles of leaked workers would not be "a little".
            Assert.True(ProcessCounts.Threads() <= allThreadsBase + 16, $"threads grew from {allThreadsBase} to {ProcessCounts.Threads()}");
            Assert.Equal(0, totals.ReplyOtherErrors);
            Assert.Equal(0, totals.HandlerExceptions);
            Assert.True(memAfter - memBase < 32L << 20, $"managed heap grew by {(memAfter - memBase) / 1024} KiB over {cycles} cycles");
            // The storm must really exercise both endings: unmounts that found files open, and connections aborted under I/O.
            if (cycles >= 20)
            {
                Assert.True(totals.Busy > 0, "no unmount ever found files open");
                Assert.True(totals.Aborted > 0, "no cycle ever had to abort the connection");
            }
        }
        catch
        {
            // Show what the runtime said before the failure.
            foreach (var (level, line) in log.All.TakeLast(50)) output.WriteLine($"log [{level}] {line}");
            throw;
        }
        finally
        {
            if (Mountpoint.FindMount(mnt) is not null) RLibc.umount2(mnt, 2 /* MNT_DETACH */);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private void RunCycle(string mnt, Random rng, Totals totals, int cycle)
    {
        var cycleSw = Stopwatch.StartNew();
        // Modes: "abort" — the I/O threads never stop by themselves, so unmount must end the connection;
        // "close" — they close their files a little after the unmount started (the lazy unmount completes, RELEASE races);
        // "quiet" — they close before the unmount.
        int m = rng.Next(3);
        string mode = m == 0 ? "abort" : m == 1 ? "close" : "quiet";
        bool directIo = rng.Next(2) == 0;
        var fs = new MemFs(new MemFsOptions
        {
            EntryTimeout = TimeSpan.FromSeconds(1), AttrTimeout = TimeSpan.FromSeconds(1), DirectIo = directIo,
        });
        var mo = MountOptions.Parse("fsname=fastfuse-storm");
        mo.Subtype = "storm";
        var so = new SessionOptions { Threads = 1 + rng.Next(3), UnmountTimeout = UnmountTimeout, Transport = transport };
        var session = FuseSession.Mount(fs, mnt, mo, so);
        uint connId = session.MountHandle!.ConnectionId;
        var workers = new List<Thread>();
        var results = new (int Errno, long Ops)[IoThreads];
        var stop = 0;
        var started = new CountdownEvent(IoThreads);
        try
        {
            session.Start();
            Assert.True(session.WaitForInit(TimeSpan.FromSeconds(5)), $"cycle {cycle}: INIT did not arrive");
            if (session.Transport is Transport.FuseUring.FuseUringTransport ring)
            {
                Assert.True(ring.Settled.Wait(CycleBound), $"cycle {cycle}: the rings did not register");
                Assert.Equal("fuse-uring", session.TransportName);
            }

            for (int t = 0; t < IoThreads; t++)
            {
                int idx = t;
                string path = Path.Combine(mnt, $"f{idx}");
                var th = new Thread(() => results[idx] = IoLoop(path, idx, started, () => Volatile.Read(ref stop) != 0))
                { IsBackground = true, Name = $"storm-io-{idx}" };
                workers.Add(th);
                th.Start();
            }
            Assert.True(started.Wait(CycleBound), $"cycle {cycle}: I/O threads did not start");
            Thread.Sleep(rng.Next(1, 4));

            int closeAfterMs = mode == "close" ? rng.Next(0, 2 * (int)UnmountTimeout.TotalMilliseconds / 3) : -1;
            if (mode == "quiet")
            {
                Volatile.Write(ref stop, 1);
                JoinAll(workers, cycle);
            }

            int busy = 0, result = -1;
            var unmounter = new Thread(() =>
            {
                int r = session.Unmount();
                if (r == Errno.EBUSY)
                {
                    Interlocked.Exchange(ref busy, 1);
                    r = session.Unmount(lazy: true);
                }
                result = r;
            }) { IsBackground = true, Name = "storm-unmount" };
            unmounter.Start();
            if (closeAfterMs >= 0)
            {
                Thread.Sleep(closeAfterMs);
                Volatile.Write(ref stop, 1);
            }
            if (!unmounter.Join(CycleBound))
            {
                Mounter.Abort(connId);
                Assert.Fail($"cycle {cycle} ({mode}): unmount did not return within {CycleBound.TotalSeconds} s");
            }
            Assert.Equal(0, result);
            Assert.True(session.IsClosed, $"cycle {cycle} ({mode}): session not closed after Unmount");
            Volatile.Write(ref stop, 1);
            JoinAll(workers, cycle);

            session.Dispose();
            Assert.Equal(0, session.BuffersOutstanding);
            Assert.Null(Mountpoint.FindMount(mnt));

            // A thread that failed must have failed the way a vanished mount fails.
            foreach (var (errno, ops) in results)
            {
                totals.IoOps += ops;
                if (errno == 0) continue;
                Assert.True(ExpectedIoErrors.Contains(errno), $"cycle {cycle} ({mode}): I/O failed with {Errno.Name(errno)}");
                totals.IoErrors[errno] = totals.IoErrors.GetValueOrDefault(errno) + 1;
            }

            var s = session.Stats;
            totals.Cycles++;
            totals.DroppedStale += s.DroppedStale;
            totals.ReplyNotFound += s.ReplyNotFound;
            totals.ReplyNoDevice += s.ReplyNoDevice;
            totals.ReplyOtherErrors += s.ReplyOtherErrors;
            totals.ProtocolErrors += s.ProtocolErrors;
            totals.HandlerExceptions += s.HandlerExceptions;
            totals.Requests += s.TotalRequests;
            totals.Releases += s.CountOf(Opcode.Release);
            totals.Aborted += session.Aborted ? 1 : 0;
            totals.Busy += busy;
            totals.Modes[mode] = totals.Modes.GetValueOrDefault(mode) + 1;
            if (cycleSw.Elapsed > totals.SlowestCycle) totals.SlowestCycle = cycleSw.Elapsed;
            Assert.True(cycleSw.Elapsed < CycleBound, $"cycle {cycle} took {cycleSw.Elapsed}");
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            if (!session.IsClosed)
            {
                // A failed assertion left the session running: end it so the test process can go on.
                Mounter.Abort(connId);
                RLibc.umount2(mnt, 2);
                session.Dispose();
            }
            foreach (var w in workers) w.Join(TimeSpan.FromSeconds(5));
            started.Dispose();
        }
    }

    private static void JoinAll(List<Thread> threads, int cycle)
    {
        foreach (var t in threads)
            Assert.True(t.Join(CycleBound), $"cycle {cycle}: I/O thread {t.Name} hung");
    }

    /// <summary>Open a file and read and write it until told to stop (0) or until the mount fails under it (the errno).</summary>
    private static (int Errno, long Ops) IoLoop(string path, int seed, CountdownEvent started, Func<bool> stop)
    {
        const int Block = 4096;
        byte* buf = (byte*)NativeMemory.AlignedAlloc(Block, 4096);
        int fd = -1;
        long ops = 0;
        bool signalled = false;
        try
        {
            new Span<byte>(buf, Block).Fill((byte)('a' + seed));
            fd = Posix.open(path, Posix.O_RDWR | Posix.O_CREAT | Posix.O_CLOEXEC, 0x1A4);
            if (fd < 0) return (Marshal.GetLastPInvokeError(), 0);
            var rng = new Random(seed);
            while (true)
            {
                long off = rng.Next(FileSize / Block) * (long)Block;
                nint r = (ops & 1) == 0 ? Posix.pwrite(fd, buf, Block, off) : Posix.pread(fd, buf, Block, off);
                if (r < 0) return (Marshal.GetLastPInvokeError(), ops);
                ops++;
                if (!signalled)
                {
                    started.Signal();
                    signalled = true;
                }
                if (stop()) return (0, ops);
            }
        }
        finally
        {
            if (!signalled) started.Signal();
            if (fd >= 0) Posix.close(fd);
            NativeMemory.AlignedFree(buf);
        }
    }
}

/// <summary>The unmount storm on the /dev/fuse transport.</summary>
[Collection(RobustnessCollection.Name)]
public sealed class UnmountStormTests(ITestOutputHelper output) : UnmountStormTestsBase(output, TransportKind.DevFuse);

/// <summary>The unmount storm on FUSE over io_uring: rings torn down under open files, entries completing with ENOTCONN.</summary>
[Collection(RobustnessCollection.Name)]
public sealed class UnmountStormTests_FuseUring(ITestOutputHelper output) : UnmountStormTestsBase(output, TransportKind.FuseUring);

[Collection(RobustnessCollection.Name)]
public sealed class UnmountStormTests_Uring(ITestOutputHelper output) : UnmountStormTestsBase(output, TransportKind.Uring);
