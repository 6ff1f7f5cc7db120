using FastFuse.Transport.DevFuse;
using BenchmarkDotNet.Attributes;
using FastFuse.Filesystems;
using FastFuse.Session;

namespace FastFuse.Bench;

/// <summary>
/// One request through the runtime without a kernel: header decode, table dispatch, MemFs handler, reply encode
/// and the epoch check, into a channel that only counts bytes. Requests are built once into native memory.
/// Target: 0 B allocated per operation.
/// </summary>
[MemoryDiagnoser]
public unsafe class DispatchBench
{
    private DispatchFixture _f = null!;

    [GlobalSetup]
    public void Setup() => _f = new DispatchFixture();

    [GlobalCleanup]
    public void Cleanup() => _f.Dispose();

    [Benchmark]
    public void Getattr() => _f.Worker.Process(_f.Getattr.Pointer, _f.Getattr.Length);

    [Benchmark]
    public void Lookup() => _f.Worker.Process(_f.Lookup.Pointer, _f.Lookup.Length);

    [Benchmark]
    public void Read4K() => _f.Worker.Process(_f.Read.Pointer, _f.Read.Length);
}

/// <summary>An initialised in-process session over MemFs holding /file (4 KiB) and the three prebuilt requests.</summary>
public sealed unsafe class DispatchFixture : IDisposable
{
    internal readonly NullChannel Channel = new();
    public readonly MemFs Fs = new(new MemFsOptions { RootUid = 1000, RootGid = 1000 }); // requests come as uid 1000
    public readonly FuseSession Session;
    internal readonly DevFuseWorker Worker;
    public readonly NativeRequest Getattr, Lookup, Read;

    public DispatchFixture()
    {
        Session = FuseSession.FromChannel(Fs, Channel, new SessionOptions { Threads = 1 });
        Worker = Session.CreateInlineWorker();
        Run(Requests.Init(), "INIT");
        Channel.CaptureFirstWord = true;
        Run(Requests.Create(2, 1, "file"), "CREATE");
        ulong node = Channel.FirstWord;                 // entry_out.nodeid; MemFs also uses it as the file handle
        Channel.CaptureFirstWord = false;
        var data = new byte[4096];
        new Random(42).NextBytes(data);
        Run(Requests.Write(3, node, node, 0, data), "WRITE");
        Getattr = new NativeRequest(Requests.Getattr(10, node));
        Lookup = new NativeRequest(Requests.Lookup(11, 1, "file"));
        Read = new NativeRequest(Requests.Read(12, node, node, 0, 4096));
        long bytes = Channel.Bytes;
        Worker.Process(Read.Pointer, Read.Length);
        if (Channel.LastError != 0 || Channel.Bytes - bytes != 16 + 4096) throw new InvalidOperationException("READ setup failed");
        foreach (var r in new[] { Getattr, Lookup })
        {
            Worker.Process(r.Pointer, r.Length);
            if (Channel.LastError != 0) throw new InvalidOperationException("setup request failed: " + Channel.LastError);
        }
    }

    private void Run(byte[] request, string what)
    {
        using var r = new NativeRequest(request);
        Run(r, what);
    }

    private void Run(NativeRequest r, string what)
    {
        Worker.Process(r.Pointer, r.Length);
        if (Channel.LastError != 0) throw new InvalidOperationException($"{what} failed: {Channel.LastError}");
    }

    public void Dispose()
    {
        Session.Dispose();
        Getattr.Dispose();
        Lookup.Dispose();
        Read.Dispose();
    }
}
