using FastFuse.Session;

namespace FastFuse.Transport.UringBatch;

/// <summary>
/// The <c>uring</c> transport: io_uring on /dev/fuse itself, for kernels without FUSE over io_uring: <c>threads</c>
/// workers (see <see cref="FdWorkersTransport"/>), each an <see cref="UringWorker"/> with its own ring and
/// <c>depth</c> reads in flight.
/// </summary>
internal sealed class UringBatchTransport : FdWorkersTransport
{
    private readonly BufferPool _pool;
    private readonly int _depth;

    internal UringBatchTransport(FuseSession session, FuseChannel main, BufferPool pool, int threads, int depth)
        : base(session, main, threads)
    {
        _pool = pool;
        _depth = depth;
        session.Stats.Depth = depth;
    }

    public override string Name => "uring";

    private protected override string WorkerName => "uring worker";

    /// <summary>Null when io_uring can be set up here; otherwise why not.</summary>
    public static string? Unavailable()
    {
        int r = Uring.Ring.Create(2, 0, 0, out var probe);
        probe?.Dispose();
        return r < 0 ? $"io_uring is not available to this process (io_uring_setup: {Kernel.Errno.Name(-r)}; sysctl kernel.io_uring_disabled or seccomp)" : null;
    }

    private protected override IFdWorker? CreateWorker(FuseChannel channel, int index)
    {
        var w = new UringWorker(Session, channel, _pool, index, _depth);
        int r = w.Setup();
        if (r == 0) return w;
        Log.Warn($"uring worker {index}: ring setup failed ({Kernel.Errno.Name(-r)}); running with {index} worker(s)");
        w.Dispose();
        return null;
    }
}
