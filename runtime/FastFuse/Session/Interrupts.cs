using System.Collections.Concurrent;

namespace FastFuse.Session;

/// <summary>
/// Requests the kernel has interrupted (INTERRUPT names the unique of its target). A handler asks through
/// <see cref="Api.RequestContext.IsInterrupted"/>. The common case — nothing interrupted — is one volatile read.
/// An entry is dropped when its request is answered, or after <see cref="MaxEntries"/> when an INTERRUPT named a
/// request that had already finished.
/// </summary>
public sealed class Interrupts
{
    private const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<ulong, byte> _marked = new();
    private int _count;

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
    }

    public bool IsInterrupted(ulong unique) => Volatile.Read(ref _count) != 0 && _marked.ContainsKey(unique);

    /// <summary>Called when a request is answered.</summary>
    public void Complete(ulong unique)
    {
        if (Volatile.Read(ref _count) != 0 && _marked.TryRemove(unique, out _)) Interlocked.Decrement(ref _count);
    }
}
