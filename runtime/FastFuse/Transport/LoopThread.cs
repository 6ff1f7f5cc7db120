namespace FastFuse.Transport;

/// <summary>
/// The thread a transport loop runs on: a new background thread, or — for the session's first loop when
/// <see cref="Session.FuseSession.RunHere"/> serves — the caller's own thread, handed over through
/// <see cref="CallerHost"/>. Join waits for the loop to end either way (never Thread.Join on the caller's thread,
/// which would wait for itself).
/// </summary>
internal sealed class LoopThread
{
    private readonly ManualResetEventSlim _done = new(false);
    private Action? _run;

    private LoopThread() { }

    /// <summary>Run <paramref name="run"/> on a new thread, or give it to <paramref name="host"/> (taken once).</summary>
    public static LoopThread Start(Action run, string name, CallerHost? host)
    {
        var t = new LoopThread();
        t._run = run;
        if (host is not null && host.Take(t)) return t;
        new Thread(t.Body) { IsBackground = true, Name = name }.UnsafeStart();
        return t;
    }

    /// <summary>The loop, then the signal Join waits for.</summary>
    internal void Body()
    {
        try { _run!(); }
        finally
        {
            _run = null;
            _done.Set();
        }
    }

    public bool Join(TimeSpan timeout) => _done.Wait(timeout);

    public bool IsAlive => !_done.IsSet;
}

/// <summary>A caller that lends its thread to the first loop started while it waits (fastfuse_run in the C ABI,
/// <see cref="Session.FuseSession.RunHere"/>). Only the first <see cref="Take"/> succeeds.</summary>
internal sealed class CallerHost
{
    private LoopThread? _loop;

    public bool Take(LoopThread loop) => Interlocked.CompareExchange(ref _loop, loop, null) is null;

    /// <summary>On the caller's thread: run the loop handed over, if any (false when none was).</summary>
    public bool RunLoop()
    {
        var loop = Interlocked.Exchange(ref _loop, null);
        if (loop is null) return false;
        loop.Body();
        return true;
    }
}
