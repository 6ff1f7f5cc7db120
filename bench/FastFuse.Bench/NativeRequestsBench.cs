using BenchmarkDotNet.Attributes;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Native;

namespace FastFuse.Bench;

/// <summary>
/// What the C ABI's request tokens (native/FastFuse.Native/NativeRequests.cs) add to every request: the synchronous
/// style (take a token, the callback returns, one CAS closes it) and an inline reply (a reply function claims the
/// token during the callback and writes the answer into the out struct). The deferred path adds the transport's
/// own send, measured end to end by perf/run's C memfs host.
/// </summary>
[MemoryDiagnoser]
public unsafe class NativeRequestsBench
{
    private NativeFileSystem _fs = null!;
    private FuseAttrOut _attr;

    [GlobalSetup]
    public void Setup()
    {
        NativeOps ops = default;
        _fs = new NativeFileSystem(&ops, (nuint)sizeof(NativeOps), null);
    }

    /// <summary>The synchronous style: Begin, the callback answers through its return value, End.</summary>
    [Benchmark(Baseline = true)]
    public int SyncAnswer()
    {
        var ctx = RequestContext.ForCaller(0, 0);
        fixed (FuseAttrOut* a = &_attr)
        {
            nint t = NativeRequests.Begin(_fs, in ctx, ReplyTarget.Attr, a, sizeof(FuseAttrOut));
            return NativeRequests.End(t, 0, in ctx, out _);
        }
    }

    /// <summary>fastfuse_reply_attr inside the callback: claim, copy the struct, publish, then End takes it.</summary>
    [Benchmark]
    public int InlineReply()
    {
        var ctx = RequestContext.ForCaller(0, 0);
        FuseAttrOut answer = default;
        fixed (FuseAttrOut* a = &_attr)
        {
            nint t = NativeRequests.Begin(_fs, in ctx, ReplyTarget.Attr, a, sizeof(FuseAttrOut));
            NativeRequests.Claim(t, out int i, out uint gen, out _);
            *a = answer;
            NativeRequests.Answered(i, gen);
            return NativeRequests.End(t, NativeRequests.Async, in ctx, out _);
        }
    }
}
