using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// The uring transport's slots at their limits: more deferred requests waiting at once than there are slots (a
/// deferred request gives its slot back; its reply is written straight to the fd), and an unmount while every
/// slot has its read armed: no hang, no ring or fd left behind, every buffer back in the pool.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class UringSlotTests_Uring
{
    /// <summary>One file "f" of 4 KiB; every READ is deferred and held until the test releases it.</summary>
    private sealed class GatedFs : IRawFileSystem
    {
        public readonly List<(PendingReply Reply, long Offset)> Held = new();
        public int Peak;

        public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
        {
            if (parent != 1 || !name.SequenceEqual("f"u8)) return Errno.ENOENT;
            entry.Nodeid = 2;
            Fill(2, ref entry.Attr);
            return 0;
        }

        public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
        {
            Fill(nodeId, ref attr.Attr);
            return 0;
        }

        private static void Fill(ulong n, ref FuseAttr a)
        {
            a.Ino = n;
            a.Mode = n == 1 ? 0x41EDu : 0x81A4u;
            a.Nlink = n == 1 ? 2u : 1u;
            a.Size = n == 1 ? 0UL : 4096UL;
        }

        public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
        {
            open.OpenFlags = (uint)FopenFlags.DirectIo;
            return 0;
        }

        public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
        {
            var p = ctx.Defer();
            lock (Held)
            {
                Held.Add((p, offset));
                Peak = Math.Max(Peak, Held.Count);
            }
            return Status.Deferred;
        }

        public int ReleaseAll()
        {
            List<(PendingReply Reply, long Offset)> all;
            lock (Held)
            {
                all = Held.ToList();
                Held.Clear();
            }
            var block = new byte[4096];
            foreach (var (reply, offset) in all) reply.Data(offset == 0 ? block.AsSpan() : default);
            return all.Count;
        }

        public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => 0;
    }

    [MountFact]
    public void DeferredRequests_DoNotHoldSlots_MoreWaitThanThereAreSlots_AndAllAreServed()
    {
        const int Slots = 2, Readers = 6;
        var fs = new GatedFs();
        using var m = new MountedFs(fs, "entry_timeout=60,attr_timeout=60",
            new SessionOptions { Threads = 1, UringDepth = Slots, Transport = TransportKind.Uring });
        Assert.Equal("uring", m.Session.TransportName);
        int done = 0;
        var readers = Enumerable.Range(0, Readers).Select(_ => new Thread(() =>
        {
            Assert.Equal(4096, File.ReadAllBytes(m["f"]).Length);
            Interlocked.Increment(ref done);
        }) { IsBackground = true }).ToList();
        m.Within(TimeSpan.FromSeconds(60), () =>
        {
            readers.ForEach(t => t.Start());
            // A deferred request gives its slot back at once (its reply is written straight to the fd): every READ
            // reaches the filesystem although only two slots exist (slots kept by long waits would stop the mount).
            Assert.True(SpinUntil(() => { lock (fs.Held) return fs.Held.Count == Readers; }), "deferred requests kept their slots");
            Assert.Equal(0, Volatile.Read(ref done));
            // Release what is held, again and again: each freed slot takes the next waiting request.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Volatile.Read(ref done) < Readers && DateTime.UtcNow < deadline)
            {
                fs.ReleaseAll();
                Thread.Sleep(5);
            }
            readers.ForEach(t => t.Join());
        });
        Assert.Equal(Readers, done);
        Assert.Equal(Readers, fs.Peak);
        Assert.Equal(0, m.Session.Stats.PendingInFlight);
        Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
    }

    [MountFact]
    public void UnmountWithEverySlotArmed_EndsAtOnce_AndLeavesNothing()
    {
        var fs = new GatedFs();
        var mnt = new MountedFs(fs, "", new SessionOptions { Threads = 2, UringDepth = 4, Transport = TransportKind.Uring });
        var session = mnt.Session;
        Assert.Equal("uring", session.TransportName);
        Assert.True(File.Exists(mnt["f"]));
        Thread.Sleep(100);                                   // the second worker's clone and ring are up
        int ringsWhileMounted = RingFds();
        Assert.True(ringsWhileMounted >= 2, $"{ringsWhileMounted} io_uring fds while mounted, expected one per worker");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        mnt.Dispose();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"unmount took {sw.Elapsed}");
        Assert.True(session.IsClosed);
        Assert.Equal(0, session.BuffersOutstanding);
        Assert.True(SpinUntil(() => RingFds() <= ringsWhileMounted - 2), $"{RingFds()} io_uring fds left after unmount");
    }

    private static int RingFds() =>
        Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try { return new FileInfo(fd).LinkTarget?.Contains("io_uring") == true; }
            catch (IOException) { return false; }
        });

    private static bool SpinUntil(Func<bool> f)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!f())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(5);
        }
        return true;
    }
}
