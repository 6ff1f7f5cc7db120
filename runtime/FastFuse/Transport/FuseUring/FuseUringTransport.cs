using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Transport.DevFuse;

namespace FastFuse.Transport.FuseUring;

/// <summary>
/// The kernel's FUSE over io_uring (protocol 7.42+, Linux 6.14+, module parameter enable_uring=Y): one
/// <see cref="RingQueue"/> per possible CPU, each served by a thread pinned to that CPU; a request is served on the
/// CPU of its caller. A /dev/fuse reader stays (the devfuse transport with one worker): INIT, FORGET,
/// BATCH_FORGET and INTERRUPT still come that way, as does every request until all queues have registered. When
/// the rings cannot be used, one line says why and the devfuse transport serves the session with all its workers.
/// </summary>
internal sealed class FuseUringTransport : FuseTransport
{
    private const string EnableUring = "/sys/module/fuse/parameters/enable_uring";
    private readonly FuseSession _session;
    private readonly DevFuseTransport _control;
    private readonly int _fd;
    private readonly int _depth;
    private RingQueue[] _queues = [];
    private volatile bool _fallback;

    internal FuseUringTransport(FuseSession session, FuseChannel main, BufferPool pool, int threads, int depth)
    {
        _session = session;
        _fd = main.Fd;
        _depth = depth;
        // No spin on the control reader: it mostly sleeps once the rings serve.
        _control = new DevFuseTransport(session, main, pool, threads, TimeSpan.Zero);
    }

    public override string Name => _fallback ? "devfuse" : "fuse-uring";

    internal override InitFlags Wants => InitFlags.OverIoUring;

    /// <summary>Set once the queues have registered (or the transport has fallen back to /dev/fuse).</summary>
    public ManualResetEventSlim Settled { get; } = new(false);

    /// <summary>The queues (empty before INIT or after a fallback).</summary>
    internal IReadOnlyList<RingQueue> Queues => _queues;

    /// <summary>Null when this kernel lets us try fuse-uring; otherwise why not, in one phrase.</summary>
    public static string? Unavailable()
    {
        if (!File.Exists(EnableUring)) return "this kernel has no FUSE over io_uring (Linux 6.14+ with CONFIG_FUSE_IO_URING)";
        string v;
        try { v = File.ReadAllText(EnableUring).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"cannot read {EnableUring} ({e.Message})"; }
        if (v != "Y") return $"{EnableUring} is {v} (as root: echo Y > {EnableUring})";
        int r = Uring.Ring.Create(2, Uring.IoUring.SetupSqe128, 0, out var probe);
        probe?.Dispose();
        if (r < 0) return $"io_uring is not available to this process (io_uring_setup: {Errno.Name(-r)}; sysctl kernel.io_uring_disabled or seccomp)";
        return null;
    }

    internal override void Start() => _control.Start();

    internal override void OnInitReplied()
    {
        try { StartQueues(); }
        finally { Settled.Set(); }
    }

    private void StartQueues()
    {
        if (!_session.Connection.Has(InitFlags.OverIoUring))
        {
            Fallback("the kernel did not offer FUSE_OVER_IO_URING at INIT");
            return;
        }
        int n = Cpus.PossibleCount();
        var online = Cpus.Online();
        var queues = new RingQueue[n];
        for (int q = 0; q < n; q++)
        {
            queues[q] = new RingQueue(_session, q, _depth, _fd);
            _session.OnLoopStarted();
            queues[q].Start(pin: online.Contains(q));
        }
        _queues = queues;
        _session.Stats.Depth = _depth;
        if (!_session.SpliceReads)
            Log.Warn("no_splice_read changes nothing on this mount: transport=auto chose fuse-uring, which copies file data into its ring buffers and never splices");
        foreach (var q in queues)
        {
            if (!q.Ready.Wait(TimeSpan.FromSeconds(10)))
            {
                Fallback($"queue {q.Qid} did not finish registering within 10 s");
                return;
            }
            if (q.SetupError != 0)
            {
                Fallback($"queue {q.Qid}: {q.SetupWhat} failed with {Errno.Name(-q.SetupError)}");
                return;
            }
        }
        if (Log.DebugEnabled) Log.Debug($"fuse-uring: {n} queues of {_depth} entries registered");
    }

    private void Fallback(string why)
    {
        _fallback = true;
        _session.Stats.Transport = "devfuse";
        _session.Stats.Depth = 1;
        Log.Warn($"fuse-uring cannot be used: {why}; serving through /dev/fuse");
        _control.OnInitReplied();
    }

    internal override void OnStopping()
    {
        foreach (var q in _queues) q.Wake();
    }

    internal override bool Join(TimeSpan timeout)
    {
        bool all = _control.Join(timeout);
        foreach (var q in _queues) all &= q.Join(timeout);
        return all;
    }

    public override void Dispose()
    {
        _control.Dispose();
        var queues = Interlocked.Exchange(ref _queues, []);
        foreach (var q in queues) q.Release();
    }
}
