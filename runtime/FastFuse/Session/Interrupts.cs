using System.Collections.Concurrent;

namespace FastFuse.Session;

/// <summary>
/// Requests the kernel has interrupted (INTERRUPT names the unique of its target). A handler asks through
/// <see cref="Api.RequestContext.IsInterrupted"/>. The common case — nothing interrupted — is one volatile read.
/// An entry is dropped when its request is answered, or after <see cref="MaxEntries"/> when an INTERRUPT named a
/// request that had already finished.
/// </summary>
internal sealed class Interrupts
{
    private const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<ulong, byte> _marked = new();
    private int _count;
    /// <summary>Deferred requests that asked to hear of their interrupt (<see cref="Api.PendingReply.OnInterrupt"/>).</summary>
    private readonly ConcurrentDictionary<ulong, Action> _callbacks = new();
    /// <summary>Its size, read on every deferred reply: ConcurrentDictionary.IsEmpty takes every bucket lock when
    /// the dictionary is empty, the usual case.</summary>
    private int _callbackCount;

    public long Received;

    public void Mark(ulong unique)
    {
        Interlocked.Increment(ref Received);
        if (Volatile.Read(ref _count) >= MaxEntries)
        {
            _marked.Clear();
            Volatile.Write(ref _count, 0);
        }
        if (_marked.TryAdd(unique, 0)) Interlocked.Increment(ref _count);
        if (Volatile.Read(ref _callbackCount) != 0 && TakeCallback(unique) is { } callback) Run(callback);
    }

    /// <summary>Call <paramref name="callback"/> once when <paramref name="unique"/> is interrupted (at once if it
    /// already was), on a pool thread: never on the loop that read the INTERRUPT.</summary>
    internal void OnInterrupt(ulong unique, Action callback)
    {
        if (_callbacks.TryAdd(unique, callback)) Interlocked.Increment(ref _callbackCount);
        // Marked before the callback was in: Mark did not see it, so take it back and run it here.
        if (IsInterrupted(unique) && TakeCallback(unique) is { } late) Run(late);
    }

    private Action? TakeCallback(ulong unique)
    {
        if (!_callbacks.TryRemove(unique, out var callback)) return null;
        Interlocked.Decrement(ref _callbackCount);
        return callback;
    }

    private static void Run(Action callback) => ThreadPool.UnsafeQueueUserWorkItem(static c =>
    {
        try { c(); }
        catch (Exception e) { Log.Error($"interrupt callback threw {e.GetType().Name}: {e.Message}"); }
    }, callback, preferLocal: false);

    public bool IsInterrupted(ulong unique) => Volatile.Read(ref _count) != 0 && _marked.ContainsKey(unique);

    /// <summary>Called when a request is answered.</summary>
    public void Complete(ulong unique)
    {
        if (Volatile.Read(ref _count) != 0 && _marked.TryRemove(unique, out _)) Interlocked.Decrement(ref _count);
    }

    /// <summary>A deferred request was answered: it no longer wants its interrupt callback.</summary>
    internal void CompleteDeferred(ulong unique)
    {
        Complete(unique);
        if (Volatile.Read(ref _callbackCount) != 0) TakeCallback(unique);
    }
}
