using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using FastFuse.Tests.Unit;

namespace FastFuse.Tests.Nodes;

/// <summary>A tree for the hot path: /dir/file (64 KiB, read through handles) and 100 more files in /dir.</summary>
internal static class HotTree
{
    public static (NodeFileSystem Fs, ContentFile File, Node Dir) Make(bool directIo)
    {
        var root = new Node(Linux.S_IFDIR | 0x1ED);
        var dir = new Node(Linux.S_IFDIR | 0x1ED);
        var data = new byte[64 * 1024];
        new Random(7).NextBytes(data);
        var file = new ContentFile(data, directIo);
        root.AddChild("dir", dir);
        dir.AddChild("file", file);
        for (int i = 0; i < 100; i++) dir.AddChild($"entry-{i:D3}", new ContentFile([1, 2, 3]));
        var fs = new NodeFileSystem(root, new NodeFileSystemOptions
        {
            EntryTimeout = TimeSpan.Zero, AttrTimeout = TimeSpan.Zero, Uid = 1000, Gid = 1000,
        });
        return (fs, file, dir);
    }
}

/// <summary>
/// The node API's hot path allocates nothing in steady state, through the kernel on every transport: stat of a
/// cached node (LOOKUP of a known child + GETATTR, timeouts 0) and 4 KiB direct reads through a handle object, counted
/// on the transport's loop threads as <see cref="TransportTests"/> counts them for the raw API.
/// </summary>
public abstract unsafe class NodeAllocationTests(TransportKind transport)
{
    [MountFact]
    public void SteadyState_StatAndRead_AllocateNothingOnTheLoopThreads()
    {
        var (fs, _, _) = HotTree.Make(directIo: true);
        using var m = new MountedFs(fs, "", new SessionOptions { Threads = 2, Transport = transport });
        string path = m["dir/file"];
        int fd = Posix.open(path, Posix.O_RDONLY, 0);
        Assert.True(fd >= 0);
        byte* buf = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        try
        {
            void Run(int n)
            {
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(0, Posix.TryStat(path, out _, nofollow: true));
                    Assert.Equal(4096, (int)Posix.pread(fd, buf, 4096, (i % 16) * 4096L));
                }
            }
            m.Within(TimeSpan.FromSeconds(120), () =>
            {
                Run(3000);                                   // warm-up: JIT tiers, lazy statics
                var tries = new List<long>();                // up to six tries, as TransportTests (one-off work seen there)
                long lookups = m.Session.Stats.CountOf(Opcode.Lookup), reads = m.Session.Stats.CountOf(Opcode.Read);
                for (int t = 0; t < 6 && (tries.Count == 0 || tries[^1] != 0); t++)
                {
                    long before = m.Session.Stats.LoopAllocatedBytes;
                    Run(5000);
                    tries.Add(m.Session.Stats.LoopAllocatedBytes - before);
                }
                // A worker counts a request after writing its reply: the last few may not be counted yet.
                Assert.True(m.Session.Stats.CountOf(Opcode.Lookup) - lookups >= 5000 * tries.Count - 8, "the stats did not look up");
                Assert.True(m.Session.Stats.CountOf(Opcode.Read) - reads >= 5000 * tries.Count - 8, "the reads did not reach the filesystem");
                Assert.True(tries.Min() == 0, $"{transport}: bytes allocated on loop threads over 10,000 requests, per try: {string.Join(", ", tries)}");
            });
            Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
        }
        finally
        {
            NativeMemory.AlignedFree(buf);
            Posix.close(fd);
        }
    }
}

public sealed class NodeAllocationTests_DevFuse() : NodeAllocationTests(TransportKind.DevFuse);
public sealed class NodeAllocationTests_Uring() : NodeAllocationTests(TransportKind.Uring);
public sealed class NodeAllocationTests_FuseUring() : NodeAllocationTests(TransportKind.FuseUring);

/// <summary>
/// The same, in process and per opcode (as <see cref="HotPathAllocationTests"/> does for MemFs): GETATTR, LOOKUP of a
/// known child, READ 4 KiB through a handle and READDIR of 101 children, each 10,000 times after a warm-up, must not
/// move this thread's allocation counter.
/// </summary>
[Collection(LogCaptureCollection.Name)]
public sealed class NodeHotPathAllocationTests
{
    private const int Iterations = 10_000;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Measure(Harness h, byte[] request, int n)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++) h.Session.Process(h.Worker, request);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(Opcode.Getattr)]
    [InlineData(Opcode.Lookup)]
    [InlineData(Opcode.Read)]
    [InlineData(Opcode.Readdir)]
    [InlineData(Opcode.Readdirplus)]
    public void SteadyStateDispatch_AllocatesNothing(Opcode op)
    {
        var (fs, _, _) = HotTree.Make(directIo: false);
        using var h = new Harness(fs);
        h.Init();
        ulong dir = h.Call(Req.Lookup(2, 1, "dir")).U64(0);
        ulong file = h.Call(Req.Lookup(3, dir, "file")).U64(0);
        ulong fh = h.Call(Req.Open(4, file)).U64(0);
        Assert.NotEqual(0ul, fh);
        byte[] request = op switch
        {
            Opcode.Getattr => Req.Getattr(10, file),
            Opcode.Lookup => Req.Lookup(11, dir, "file"),
            Opcode.Read => Req.Read(12, file, fh, 4096, 4096),
            _ => Req.Read(13, dir, 0, 0, 16384, op),
        };
        var first = h.Call(request);
        Assert.Equal(0, first.Error);
        if (op == Opcode.Read) Assert.Equal(16u + 4096, first.Len);
        if (op is Opcode.Readdir or Opcode.Readdirplus) Assert.True(first.Len > 16 + 100 * 32, $"a short listing: {first.Len} bytes");
        long replies = h.Replies;
        Measure(h, request, 2_000);
        var tries = new List<long>();
        for (int t = 0; t < 3 && (tries.Count == 0 || tries[^1] != 0); t++) tries.Add(Measure(h, request, Iterations));
        Assert.Equal(replies + 2_000 + tries.Count * Iterations, h.Replies);
        Assert.Equal(0, new Reply(h.Channel.LastReply).Error);
        Assert.True(tries.Min() == 0,
            $"{op}: bytes allocated over {Iterations} requests, per try: {string.Join(", ", tries)} ({tries.Min() / (double)Iterations:F1} B/op at best)");
    }
}
