using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

/// <summary>
/// The /dev/fuse transport: <c>threads</c> workers, each a blocking read + writev loop on its own fd. Worker 0
/// uses the session's fd and reads INIT; the others get FUSE_DEV_IOC_CLONE clones once INIT is answered (a clone
/// made earlier is refused by the kernel). Worker 0 may busy-poll briefly before sleeping (the spin option).
/// </summary>
public sealed class DevFuseTransport : FuseTransport
{
    private readonly FuseSession _session;
    private readonly FuseChannel _main;
    private readonly BufferPool _pool;
    private readonly int _threads;
    private readonly TimeSpan _spin;
    private readonly List<DevFuseWorker> _workers = new();
    private readonly Lock _gate = new();

    internal DevFuseTransport(FuseSession session, FuseChannel main, BufferPool pool, int threads, TimeSpan spin)
    {
        _session = session;
        _main = main;
        _pool = pool;
        _threads = threads;
        _spin = spin;
    }

    public override string Name => "devfuse";

    internal IReadOnlyList<DevFuseWorker> Workers
    {
        get { lock (_gate) return _workers.ToArray(); }
    }

    internal override void Start()
    {
        lock (_gate)
        {
            if (_main is DevFuseChannel dev && _spin > TimeSpan.Zero) dev.SetSpin(_spin);
            StartWorker(_main, 0);
        }
    }

    internal override void OnInitReplied()
    {
        lock (_gate)
        {
            if (_workers.Count != 1 || _main is not DevFuseChannel) return;
            for (int i = 1; i < _threads; i++)
            {
                DevFuseChannel ch;
                try { ch = DevFuseChannel.Clone(_main.Fd); }
                catch (IOException e)
                {
                    Log.Warn($"could not clone /dev/fuse for worker {i} ({e.Message}); running with {i} worker(s)");
                    break;
                }
                StartWorker(ch, i);
            }
            if (Log.DebugEnabled) Log.Debug($"devfuse: {_workers.Count} worker(s), each with its own /dev/fuse fd");
        }
    }

    private void StartWorker(FuseChannel channel, int index)
    {
        var w = new DevFuseWorker(_session, channel, _pool, index);
        _workers.Add(w);
        _session.OnLoopStarted();
        w.Start($"fuse-worker-{index}");
    }

    /// <summary>A worker without a thread, fed by the caller (tests, benchmarks, fuzzing).</summary>
    internal DevFuseWorker CreateInline()
    {
        lock (_gate)
        {
            var w = new DevFuseWorker(_session, _main, _pool, _workers.Count);
            _workers.Add(w);
            return w;
        }
    }

    internal override bool Join(TimeSpan timeout)
    {
        bool all = true;
        foreach (var w in Workers) all &= w.Join(timeout);
        return all;
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            foreach (var w in _workers)
            {
                if (!w.Join(TimeSpan.Zero)) continue;   // still blocked: leave its memory and fd rather than free them under it
                if (w.Channel != _main) w.Channel.Dispose();
                w.Dispose();
            }
            _workers.Clear();
        }
    }
}
