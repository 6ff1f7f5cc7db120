using System.Diagnostics;
using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// A filesystem with misbehaving files under the root: "slow" (READ blocks until the request is interrupted, then
/// answers EINTR), "bad" (GETATTR throws), "hang" (GETATTR defers and drops its reply), "good" (answers "good\n").
/// Entry and attribute timeouts are 0 so every stat reaches it; files are direct_io so every read does.
/// </summary>
internal sealed class FaultyFs : IRawFileSystem
{
    public const ulong Slow = 2, Bad = 3, Hang = 4, Good = 5, Later = 6;
    private static readonly string[] Names = { "", "", "slow", "bad", "hang", "good", "later" };
    private static readonly byte[] LaterData = "later\n"u8.ToArray();
    private static readonly byte[] GoodData = "good\n"u8.ToArray();

    public readonly ManualResetEventSlim ReadStarted = new(false);
    public readonly ManualResetEventSlim HangDeferred = new(false);
    public volatile bool SawInterrupt;
    public ulong SlowUnique;
    /// <summary>The dropped reply of 'hang', held until the test lets the collector have it (a GC under a loaded
    /// machine must not answer it before the test has seen the caller wait).</summary>
    public PendingReply? Held;
    public int ReadsEnded;

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        if (parent != 1) return Errno.ENOENT;
        for (ulong n = 2; n < (ulong)Names.Length; n++)
        {
            if (!name.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(Names[n]))) continue;
            entry.Nodeid = n;
            Fill(n, ref entry.Attr);
            return 0;
        }
        return Errno.ENOENT;
    }

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        if (nodeId == Bad) throw new InvalidOperationException("getattr of 'bad' throws (test)");
        if (nodeId == Hang)
        {
            Held = ctx.Defer();       // never answered: once the test lets go of it, its finalizer must answer EIO
            HangDeferred.Set();
            return Status.Deferred;
        }
        if (nodeId != 1 && nodeId >= (ulong)Names.Length) return Errno.ENOENT;
        Fill(nodeId, ref attr.Attr);
        return 0;
    }

    private static void Fill(ulong n, ref FuseAttr a)
    {
        a.Ino = n;
        a.Mode = n == 1 ? 0x41EDu : 0x81A4u;
        a.Nlink = n == 1 ? 2u : 1u;
        a.Size = n == 1 ? 0UL : 4096UL;
        a.Blksize = 4096;
    }

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        open.Fh = nodeId;
        open.OpenFlags = (uint)FopenFlags.DirectIo;
        return 0;
    }

    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        if (nodeId == Good)
        {
            if (offset < GoodData.Length) data.Append(GoodData.AsSpan((int)offset));
            return 0;
        }
        if (nodeId == Later)
        {
            var pending = ctx.Defer();
            long off = offset;
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                Thread.Sleep(2);
                pending.Data(off < LaterData.Length ? LaterData.AsSpan((int)off) : default);
            }, null);
            return Status.Deferred;
        }
        if (nodeId != Slow) return Errno.EIO;
        SlowUnique = ctx.Unique;
        ReadStarted.Set();
        var sw = Stopwatch.StartNew();
        try
        {
            while (!ctx.IsInterrupted)
            {
                if (sw.Elapsed > TimeSpan.FromSeconds(20)) return Errno.EIO;   // never hang the test run
                Thread.Sleep(10);
            }
            SawInterrupt = true;
            return Errno.EINTR;
        }
        finally { Interlocked.Increment(ref ReadsEnded); }
    }

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => 0;
}

/// <summary>Handlers that block, throw, answer later or never answer: callers get EINTR/EIO or their data, and the
/// daemon goes on serving — on every transport.</summary>
public abstract class FaultyHandlerTestsBase(ITestOutputHelper output, TransportKind transport)
{
    private MountedFs Mount(FaultyFs fs) =>
        new(fs, "entry_timeout=0,attr_timeout=0", new SessionOptions { Threads = 3, UnmountTimeout = TimeSpan.FromSeconds(2), Transport = transport });

    [MountFact]
    public void Replies_deferred_to_other_threads_reach_every_reader()
    {
        var fs = new FaultyFs();
        using var m = Mount(fs);
        m.Within(TimeSpan.FromSeconds(60), () =>
        {
            var readers = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < 50; i++) Assert.Equal("later\n", File.ReadAllText(m["later"]));
            })).ToList();
            readers.ForEach(t => t.Start());
            readers.ForEach(t => t.Join());
        });
        var s = m.Session.Stats;
        Assert.True(s.DeferredWrites >= 400, $"only {s.DeferredWrites} deferred replies written");
        Assert.Equal(0, s.PendingInFlight);
        Assert.Equal(0, s.ReplyOtherErrors);
    }

    private static string ReadGood(MountedFs m) => File.ReadAllText(m["good"]);

    [MountTheory]
    [InlineData(9)]     // SIGKILL
    [InlineData(2)]     // SIGINT (not handled by cat: fatal)
    public void Blocked_read_sees_the_interrupt_when_the_reader_is_killed(int signal)
    {
        var fs = new FaultyFs();
        using var m = Mount(fs);
        // The workers past the first clone their /dev/fuse fds just after INIT is answered (WaitForInit returns
        // before): let them, and let the first Process.Start open the runtime's child-watching fds, then count.
        Assert.Equal("good\n", ReadGood(m));
        Thread.Sleep(50);
        using (var warm = Process.Start(new ProcessStartInfo("true") { RedirectStandardOutput = true })!) warm.WaitForExit();
        int fdsBefore = ProcessCounts.Fds();
        var targetsBefore = ProcessCounts.FdTargets();
        var psi = new ProcessStartInfo("cat", m["slow"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var cat = Process.Start(psi)!;
        Assert.True(fs.ReadStarted.Wait(TimeSpan.FromSeconds(10)), "the read never reached the filesystem");
        Thread.Sleep(50);
        Assert.False(cat.HasExited);
        Assert.Equal(0, RLibc.kill(cat.Id, signal));

        Assert.True(cat.WaitForExit(5000), "the reader did not die after the signal: the interrupt was not seen");
        cat.WaitForExit();
        cat.Dispose();
        var s = m.Session.Stats;
        // The reply goes out before the worker records it in the stats: wait for both.
        var sw = Stopwatch.StartNew();
        while ((Volatile.Read(ref fs.ReadsEnded) == 0 || s.ErrorsOf(Opcode.Read) == 0) && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        Assert.True(fs.SawInterrupt, "the handler never saw ctx.IsInterrupted");
        output.WriteLine($"signal {signal}: interrupts={s.InterruptsReceived} read errors={s.ErrorsOf(Opcode.Read)} " +
                         $"enoent={s.ReplyNotFound} dropped={s.DroppedStale} other={s.ReplyOtherErrors}");
        Assert.True(s.InterruptsReceived >= 1);
        Assert.True(s.ErrorsOf(Opcode.Read) >= 1, "the blocked READ was not answered with an error (EINTR)");
        Assert.Equal(0, s.ReplyOtherErrors);
        // Nothing left behind: the interrupt mark is gone with its request, no fd was left open, the daemon serves.
        Assert.False(m.Session.Interrupts.IsInterrupted(fs.SlowUnique));
        Assert.Equal("good\n", ReadGood(m));
        int fdsAfter = ProcessCounts.SettleTo(ProcessCounts.Fds, fdsBefore, TimeSpan.FromSeconds(2));
        Assert.True(fdsAfter <= fdsBefore,
            $"{fdsAfter} fds open after the interrupted read, {fdsBefore} before; new: {string.Join(", ", ProcessCounts.FdTargets().Except(targetsBefore))}");
    }

    [MountFact]
    public void Handler_that_throws_gives_EIO_and_the_daemon_keeps_serving()
    {
        using var log = new LogLines(LogLevel.Info);
        var fs = new FaultyFs();
        using var m = Mount(fs);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Errno.EIO, RLibc.StatErrno(m["bad"]));
            Assert.Equal(0, RLibc.StatErrno(m["good"]));
        }
        Assert.Equal("good\n", ReadGood(m));
        Assert.True(m.Session.Stats.HandlerExceptions >= 3);
        var errors = log.At(LogLevel.Error);
        output.WriteLine(string.Join("\n", errors));
        Assert.True(errors.Count >= 3 && errors.All(e => e.Contains("GETATTR") && e.Contains("threw")), string.Join("\n", errors));
    }

    [MountFact]
    public void Reply_that_is_never_sent_is_answered_EIO_by_its_finalizer()
    {
        using var log = new LogLines(LogLevel.Info);
        var fs = new FaultyFs();
        using var m = Mount(fs);
        int result = -1;
        var caller = new Thread(() => result = RLibc.StatErrno(m["hang"])) { IsBackground = true, Name = "stat-hang" };
        caller.Start();
        Assert.True(fs.HangDeferred.Wait(TimeSpan.FromSeconds(10)), "GETATTR of 'hang' never arrived");
        // The caller waits; the daemon still serves everyone else.
        Assert.False(caller.Join(100));
        Assert.Equal(0, RLibc.StatErrno(m["good"]));
        Assert.Equal("good\n", ReadGood(m));

        fs.Held = null;
        var sw = Stopwatch.StartNew();
        while (!caller.Join(20))
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "the dropped reply was never answered");
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.Equal(Errno.EIO, result);
        Assert.Equal(0, m.Session.Stats.PendingInFlight);
        Assert.Contains(log.At(LogLevel.Warn), l => l.Contains("dropped unanswered"));
        Assert.Empty(log.At(LogLevel.Error));
    }
}

[Collection(RobustnessCollection.Name)]
public sealed class FaultyHandlerTests(ITestOutputHelper output) : FaultyHandlerTestsBase(output, TransportKind.DevFuse);

[Collection(RobustnessCollection.Name)]
public sealed class FaultyHandlerTests_FuseUring(ITestOutputHelper output) : FaultyHandlerTestsBase(output, TransportKind.FuseUring);

[Collection(RobustnessCollection.Name)]
public sealed class FaultyHandlerTests_Uring(ITestOutputHelper output) : FaultyHandlerTestsBase(output, TransportKind.Uring);
