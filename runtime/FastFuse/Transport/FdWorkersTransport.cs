using FastFuse.Session;
using FastFuse.Transport.DevFuse;

namespace FastFuse.Transport;

/// <summary>A loop that owns one /dev/fuse fd (a devfuse or uring worker).</summary>
internal interface IFdWorker : IDisposable
{
    FuseChannel Channel { get; }
    void Start();
    bool Join(TimeSpan timeout);
    /// <summary>Wake the loop if it waits on something other than its fd (a ring).</summary>
    void Wake();
}

/// <summary>
/// The shape the devfuse and uring transports share: <c>threads</c> workers, each owning one /dev/fuse fd. Worker 0
/// uses the session's fd and reads INIT; the others get FUSE_DEV_IOC_CLONE clones once INIT is answered (a clone made
/// earlier is refused by the kernel). A worker that cannot be made is logged and the session goes on with fewer.
/// </summary>
internal abstract class FdWorkersTransport : FuseTransport
{
    private protected readonly FuseSession Session;
    private protected readonly FuseChannel Main;
    private readonly int _threads;
    private readonly List<IFdWorker> _workers = new();
    private protected readonly Lock Gate = new();

    private protected FdWorkersTransport(FuseSession session, FuseChannel main, int threads)
    {
        Session = session;
        Main = main;
        _threads = threads;
    }

    /// <summary>A new worker on <paramref name="channel"/>, not started; null when it could not be set up (say why).</summary>
    private protected abstract IFdWorker? CreateWorker(FuseChannel channel, int index);

    /// <summary>What a worker is called in log lines ("worker", "uring worker").</summary>
    private protected abstract string WorkerName { get; }

    private protected IReadOnlyList<IFdWorker> WorkerList
    {
        get { lock (Gate) return _workers.ToArray(); }
    }

    internal override void Start()
    {
        lock (Gate)
        {
            if (!StartWorker(Main, 0)) throw new IOException($"{Name}: {WorkerName} 0 could not be started");
        }
    }

    internal override void OnInitReplied()
    {
        lock (Gate)
        {
            if (_workers.Count != 1 || Main is not DevFuseChannel) return;
            for (int i = 1; i < _threads; i++)
            {
                DevFuseChannel ch;
                try { ch = DevFuseChannel.Clone(Main.Fd); }
                catch (IOException e)
                {
                    Log.Warn($"could not clone /dev/fuse for {WorkerName} {i} ({e.Message}); running with {i} worker(s)");
                    break;
                }
                if (!StartWorker(ch, i))
                {
                    ch.Dispose();
                    break;
                }
            }
            if (Log.DebugEnabled) Log.Debug($"{Name}: {_workers.Count} {WorkerName}(s), each with its own /dev/fuse fd");
        }
    }

    private bool StartWorker(FuseChannel channel, int index)
    {
        var w = CreateWorker(channel, index);
        if (w is null) return false;
        _workers.Add(w);
        Session.OnLoopStarted();
        w.Start();
        return true;
    }

    /// <summary>Keep a worker that runs without a thread of its own (tests, benchmarks).</summary>
    private protected void AddInline(IFdWorker w)
    {
        lock (Gate) _workers.Add(w);
    }

    private protected int WorkerCount
    {
        get { lock (Gate) return _workers.Count; }
    }

    internal override void OnStopping()
    {
        foreach (var w in WorkerList) w.Wake();
    }

    internal override bool Join(TimeSpan timeout)
    {
        bool all = true;
        foreach (var w in WorkerList) all &= w.Join(timeout);
        return all;
    }

    public override void Dispose()
    {
        lock (Gate)
        {
            foreach (var w in _workers)
            {
                if (!w.Join(TimeSpan.Zero)) continue;   // still running: leave its memory and fd rather than free them under it
                if (w.Channel != Main) w.Channel.Dispose();
                w.Dispose();
            }
            _workers.Clear();
        }
    }
}
