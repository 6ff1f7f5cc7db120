using FastFuse.Interop;

namespace FastFuse.Transport;

/// <summary>
/// How other threads hand finished (deferred) replies to a ring's owner thread, which alone submits to its ring: a
/// lock-free stack of slot indexes, and an eventfd the owner keeps a read armed on in its ring, so a push wakes it.
/// <para>Ordering: a pusher writes the slot's reply memory, then pushes with CompareExchange (a full fence), so the
/// owner, which takes the whole stack with Exchange (also a full fence), sees the reply before it submits it. A
/// push after the owner took the stack writes the eventfd again: the next armed read completes at once, so no
/// hand-over waits for an unrelated event.</para>
/// </summary>
internal sealed unsafe class HandOff : IDisposable
{
    private readonly int[] _next;
    private int _head = -1;

    public HandOff(int slots)
    {
        _next = new int[slots];
        EventFd = UringSys.Eventfd(UringSys.EFD_CLOEXEC);
    }

    /// <summary>The eventfd (negative errno if it could not be made).</summary>
    public int EventFd { get; private set; }

    /// <summary>Hand slot <paramref name="index"/> over and wake the owner. Any thread.</summary>
    public void Push(int index)
    {
        int head;
        do
        {
            head = Volatile.Read(ref _head);
            _next[index] = head;
        } while (Interlocked.CompareExchange(ref _head, index, head) != head);
        Wake();
    }

    /// <summary>Wake the owner without handing anything over (stop).</summary>
    public void Wake()
    {
        if (EventFd < 0) return;
        long one = 1;
        // Safe: one lives on this stack for the call; an 8-byte eventfd write does not block short of overflow.
        Libc.Write(EventFd, &one, 8);
    }

    public bool IsEmpty => Volatile.Read(ref _head) < 0;

    /// <summary>Take everything handed over so far (owner thread): call <paramref name="each"/> per slot index.</summary>
    public void Drain<TState>(TState state, Action<TState, int> each)
    {
        if (IsEmpty) return;
        int i = Interlocked.Exchange(ref _head, -1);
        while (i >= 0)
        {
            int next = _next[i];
            each(state, i);
            i = next;
        }
    }

    public void Dispose()
    {
        if (EventFd >= 0) Libc.Close(EventFd);
        EventFd = -1;
    }
}
