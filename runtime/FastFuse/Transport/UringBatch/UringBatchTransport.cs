using FastFuse.Session;
using FastFuse.Transport.DevFuse;

namespace FastFuse.Transport.UringBatch;

/// <summary>
/// The <c>uring</c> transport: io_uring on /dev/fuse itself, for kernels without FUSE over io_uring. <c>threads</c>
/// workers, each an <see cref="UringWorker"/> with its own fd (worker 0 the session's, the others
/// FUSE_DEV_IOC_CLONE clones made once INIT is answered) and its own ring with <c>depth</c> reads in flight.
/// </summary>
public sealed class UringBatchTransport : FuseTransport
{
    private readonly FuseSession _session;
    private readonly FuseChannel _main;
    private readonly BufferPool _pool;
    private readonly int _threads, _depth;
    private readonly List<UringWorker> _workers = new();
    private readonly Lock _gate = new();

    internal UringBatchTransport(FuseSession session, FuseChannel main, BufferPool pool, int threads, int depth)
    {
        _session = session;
        _main = main;
        _pool = pool;
        _threads = threads;
        _depth = depth;
    }

    public override string Name => "uring";

    /// <summary>Null when io_uring can be set up here; otherwise why not.</summary>
    public static string? Unavailable()
    {
        int r = Uring.Ring.Create(2, 0, 0, out var probe);
        probe?.Dispose();
        return r < 0 ? $"io_uring is not available to this process (io_uring_setup: {Kernel.Errno.Name(-r)}; sysctl kernel.io_uring_disabled or seccomp)" : null;
    }

    internal override void Start()
    {
        lock (_gate)
        {
            if (!StartWorker(_main, 0)) throw new IOException("uring transport: worker 0 could not set up its ring");
        }
    }

    internal override void OnInitReplied()
    {
        lock (_gate)
        {
            if (_workers.Count != 1) return;
            for (int i = 1; i < _threads; i++)
            {
                DevFuseChannel ch;
                try { ch = DevFuseChannel.Clone(_main.Fd); }
                catch (IOException e)
                {
                    Log.Warn($"could not clone /dev/fuse for uring worker {i} ({e.Message}); running with {i} worker(s)");
                    break;
                }
                if (!StartWorker(ch, i))
                {
                    ch.Dispose();
                    break;
                }
            }
            if (Log.DebugEnabled) Log.Debug($"uring: {_workers.Count} worker(s), {_depth} reads in flight each");
        }
    }

    private bool StartWorker(FuseChannel channel, int index)
    {
        var w = new UringWorker(_session, channel, _pool, index, _depth);
        int r = w.Setup();
        if (r != 0)
        {
            Log.Warn($"uring worker {index}: ring setup failed ({Kernel.Errno.Name(-r)}); running with {index} worker(s)");
            w.Dispose();
            return false;
        }
        _workers.Add(w);
        _session.OnLoopStarted();
        w.Start();
        return true;
    }

    internal override void OnStopping()
    {
        lock (_gate) foreach (var w in _workers) w.Wake();
    }

    internal override bool Join(TimeSpan timeout)
    {
        UringWorker[] ws;
        lock (_gate) ws = _workers.ToArray();
        bool all = true;
        foreach (var w in ws) all &= w.Join(timeout);
        return all;
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            foreach (var w in _workers)
            {
                if (!w.Join(TimeSpan.Zero)) continue;
                if (w.Channel != _main) w.Channel.Dispose();
                w.Dispose();
            }
            _workers.Clear();
        }
    }
}
