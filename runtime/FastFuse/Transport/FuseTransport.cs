using FastFuse.Kernel;

namespace FastFuse.Transport;

/// <summary>
/// A way requests arrive and replies leave: it owns its loop threads, their slots and their fds. The session
/// starts it, tells it when INIT has been answered, and stops it; nothing above it knows whether a request came
/// from read(2) or a ring. Each loop thread calls <see cref="Session.FuseSession.OnLoopExit"/> when it ends.
/// </summary>
internal abstract class FuseTransport : IDisposable
{
    /// <summary>The name users pick it by (-o transport=NAME) and that --stats shows.</summary>
    public abstract string Name { get; }

    /// <summary>INIT flags this transport needs on top of the session's (FUSE_OVER_IO_URING).</summary>
    internal virtual InitFlags Wants => 0;

    /// <summary>Start the loop that reads INIT (always /dev/fuse).</summary>
    internal abstract void Start();

    /// <summary>INIT has been answered: start everything else.</summary>
    internal abstract void OnInitReplied();

    /// <summary>The connection is ending: wake loops that wait on something other than /dev/fuse.</summary>
    internal virtual void OnStopping() { }

    /// <summary>Wait for every loop thread; false if one is still running after <paramref name="timeout"/>.</summary>
    internal abstract bool Join(TimeSpan timeout);

    /// <summary>After <see cref="Join"/>: close the fds and return the buffers of every loop that has ended; a loop
    /// still running keeps its own (freeing memory or an fd under it would be worse than leaking them).</summary>
    public abstract void Dispose();
}
