using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

/// <summary>
/// The /dev/fuse transport: <c>threads</c> workers, each a blocking read + writev loop on its own fd (see
/// <see cref="FdWorkersTransport"/>). Worker 0 may busy-poll briefly before sleeping (the spin option).
/// </summary>
internal sealed class DevFuseTransport : FdWorkersTransport
{
    private readonly BufferPool _pool;
    private readonly TimeSpan _spin;

    internal DevFuseTransport(FuseSession session, FuseChannel main, BufferPool pool, int threads, TimeSpan spin)
        : base(session, main, threads)
    {
        _pool = pool;
        _spin = spin;
        session.Stats.Depth = 1;
    }

    public override string Name => "devfuse";

    private protected override string WorkerName => "worker";

    internal IReadOnlyList<DevFuseWorker> Workers => WorkerList.Cast<DevFuseWorker>().ToArray();

    private protected override IFdWorker CreateWorker(FuseChannel channel, int index)
    {
        if (index == 0 && channel is DevFuseChannel dev && _spin > TimeSpan.Zero) dev.SetSpin(_spin);
        return new DevFuseWorker(Session, channel, _pool, index);
    }

    /// <summary>A worker without a thread, fed by the caller (tests, benchmarks, fuzzing).</summary>
    internal DevFuseWorker CreateInline()
    {
        var w = new DevFuseWorker(Session, Main, _pool, WorkerCount);
        AddInline(w);
        return w;
    }
}
