using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Transport;

namespace FastFuse.Native;

/// <summary>Where a request token is in its life. Packed with the generation into <see cref="ReqEntry.Word"/>.</summary>
internal enum ReqState : uint
{
    Free = 0,
    /// <summary>Its callback runs; the out arguments (<see cref="ReqEntry.Out"/>…) are live.</summary>
    InCallback,
    /// <summary>A reply function is writing the answer into the out arguments (one thread, briefly).</summary>
    Replying,
    /// <summary>Answered through a reply function during the callback; the worker sends it when the callback returns.</summary>
    Replied,
    /// <summary>The callback returned FASTFUSE_ASYNC; the worker is recording where the later reply goes (briefly).</summary>
    Deferring,
    /// <summary>Waiting for its reply, from any thread.</summary>
    Deferred,
    /// <summary>A reply function is sending the deferred answer (one thread).</summary>
    Sending,
    /// <summary>The callback answered through its return value; the token is dead until the entry is freed.</summary>
    Closed,
}

/// <summary>
/// One request token's state. Lives in <see cref="NativeRequests"/>' table (managed arrays of structs, never freed),
/// so a stale token can always be decoded and refused. Every field but <see cref="Word"/> is written only by the
/// thread that holds the entry in a "one thread" state (Free while taken, InCallback's worker, Replying, Deferring,
/// Sending); the Word's release/acquire ordering publishes them to the next holder.
/// </summary>
internal unsafe struct ReqEntry
{
    /// <summary>generation &lt;&lt; 32 | <see cref="ReqState"/>. Every transition is a CAS on the whole word, so a
    /// token of an older generation can never act on a reused entry (no ABA).</summary>
    public long Word;
    public Opcode Op;
    public ReplyTarget Kind;
    /// <summary>Inline targets, valid while InCallback: the callback's out struct(s), or the data room, or the
    /// address of the DirectoryReply / XattrReply on the worker's stack.</summary>
    public byte* Out, Out2;
    public int OutCap;
    /// <summary>What the kernel asked for (READ, READLINK, READDIR, GETXATTR/LISTXATTR sizes).</summary>
    public uint Requested;
    /// <summary>The inline answer: errno, data length or xattr size, count / offset / block, and a READ from a file.</summary>
    public int Errno, Len;
    public long Value;
    public int Fd;
    public long FdOff;
    public int HasInterruptFn;
    public ulong Unique;
    public uint Pid;
    public NativeFileSystem? Fs;
    public RequestSlot? Slot;
    // Where a deferred answer goes (set in Deferring, read in Sending).
    public FuseSession? Session;
    public SlotOwner? Owner;
    public DeferredTarget Target;
}

/// <summary>What a request's answer is, for checking that a reply fits it and for writing an inline answer.</summary>
internal enum ReplyTarget : byte
{
    Status, Entry, Create, Attr, Open, Data, Dir, Xattr, Statfs, Lock, Write, Lseek, Bmap, Statx, Poll, Ioctl,
}

/// <summary>
/// The table of request tokens (<c>fastfuse_req*</c>) and their state machine. A token is
/// <c>generation &lt;&lt; 32 | (index + 1)</c>: not memory, so a wrong or stale one is refused, never followed.
/// <para>Per request: <see cref="Begin"/> takes an entry from this thread's free list, <see cref="End"/> closes it
/// with one CAS when the callback answered through its return value (the synchronous style), and frees it.
/// Measured (bench/ NativeRequestsBench, `--job short`, 2-core VM): Begin+End of the synchronous style 13 ns, an
/// inline reply (claim, copy, publish, take) 34 ns, no allocation either way.</para>
/// </summary>
internal static unsafe class NativeRequests
{
    /// <summary>Returned by <see cref="End"/>: no reply function was called; use the callback's result.</summary>
    public const int NotReplied = int.MaxValue;
    /// <summary>FASTFUSE_ASYNC in fastfuse.h: a value no callback returns by accident ("ASYC").</summary>
    public const int Async = 0x41535943;

    private const int ChunkBits = 10, ChunkSize = 1 << ChunkBits, MaxChunks = 1024;   // up to 1M live requests
    private static readonly ReqEntry[]?[] s_chunks = new ReqEntry[MaxChunks][];
    private static int s_next;
    private static readonly Lock s_lock = new();
    private static int[] s_free = new int[256];
    private static int s_freeCount;
    private const int LocalMax = 64, Batch = 32;
    [ThreadStatic] private static int[]? t_free;
    [ThreadStatic] private static int t_count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref ReqEntry At(int i) => ref s_chunks[i >> ChunkBits]![i & (ChunkSize - 1)];

    private static long Pack(uint gen, ReqState st) => (long)gen << 32 | (uint)st;
    private static uint Gen(long word) => (uint)(word >> 32);
    private static ReqState State(long word) => (ReqState)(uint)word;
    public static nint Token(int i, uint gen) => (nint)((long)gen << 32 | (uint)(i + 1));

    /// <summary>The entry a token names, or false when it names none (NULL, garbage). Its generation may be stale.</summary>
    public static bool Decode(nint token, out int index, out uint gen)
    {
        long t = token;
        index = (int)(uint)t - 1;
        gen = (uint)(t >> 32);
        return index >= 0 && index < Volatile.Read(ref s_next);
    }

    /// <summary>
    /// A request's callback is about to run: take an entry, record the inline targets, and return the token for
    /// <c>ctx-&gt;req</c>. The entry is this thread's until the Word says InCallback (release: the fields first).
    /// </summary>
    public static nint Begin(NativeFileSystem fs, in RequestContext ctx, ReplyTarget kind, void* out1, int cap, void* out2 = null, uint requested = 0)
    {
        int i = Take();
        ref var e = ref At(i);
        uint gen = Gen(e.Word);
        e.Op = ctx.Opcode;
        e.Kind = kind;
        e.Out = (byte*)out1;
        e.Out2 = (byte*)out2;
        e.OutCap = cap;
        e.Requested = requested;
        e.Errno = 0;
        e.Len = 0;
        e.Value = 0;
        e.Fd = -1;
        e.HasInterruptFn = 0;
        e.Unique = ctx.Unique;
        e.Pid = ctx.Pid;
        e.Fs = fs;
        e.Slot = ctx.Slot;
        e.Session = ctx.Slot?.Session;
        Volatile.Write(ref e.Word, Pack(gen, ReqState.InCallback));
        return Token(i, gen);
    }

    /// <summary>
    /// The callback returned <paramref name="result"/>. Returns <see cref="NotReplied"/> (answer from the result and
    /// the out arguments), <see cref="Status.Deferred"/> (FASTFUSE_ASYNC, no reply yet: the token lives on), or the
    /// errno of a reply made during the callback, whose values are in <paramref name="inline"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int End(nint token, int result, in RequestContext ctx, out ReqEntry inline)
    {
        int i = (int)(uint)(long)token - 1;
        uint gen = (uint)((long)token >> 32);
        ref var e = ref At(i);
        long running = Pack(gen, ReqState.InCallback);
        Unsafe.SkipInit(out inline);
        if (result != Async)
        {
            // Acquire/release CAS: a reply function racing from another thread either saw InCallback first (then
            // this fails and we wait for its answer below) or sees Closed and refuses.
            if (Interlocked.CompareExchange(ref e.Word, Pack(gen, ReqState.Closed), running) == running)
            {
                Free(i, gen, ref e);
                return NotReplied;
            }
        }
        else if (Interlocked.CompareExchange(ref e.Word, Pack(gen, ReqState.Deferring), running) == running)
            return Defer(i, gen, ref e, in ctx);
        return TakeInline(i, gen, ref e, out inline);
    }

    /// <summary>Answered during the callback: wait out a reply still writing (Replying, a few stores), then take it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int TakeInline(int i, uint gen, ref ReqEntry e, out ReqEntry inline)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref e.Word) != Pack(gen, ReqState.Replied)) spin.SpinOnce();   // acquire: the answer's fields
        inline = e;
        int errno = e.Errno;
        Free(i, gen, ref e);
        return errno;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Defer(int i, uint gen, ref ReqEntry e, in RequestContext ctx)
    {
        var slot = ctx.Slot;
        if (slot is null)
        {
            // A direct call (no kernel request): nothing to answer later.
            Free(i, gen, ref e);
            return Errno.EIO;
        }
        e.Session = slot.Session;
        e.Owner = slot.Owner;
        e.Target = new DeferredTarget(slot.Index, slot.Unique, slot.Epoch, slot.Opcode, slot.StartTicks);
        e.Slot = null;
        e.Out = e.Out2 = null;   // the out arguments die with the callback
        slot.Session.Stats.PendingStarted();
        Volatile.Write(ref e.Word, Pack(gen, ReqState.Deferred));   // release: the target before the state
        return Status.Deferred;
    }

    /// <summary>
    /// A reply function's claim on a token: InCallback → Replying (answer inline) or Deferred → Sending (answer
    /// now through the transport). Returns 0 and the state claimed, or -EALREADY / -EINVAL.
    /// </summary>
    public static int Claim(nint token, out int index, out uint gen, out ReqState claimed)
    {
        claimed = ReqState.Free;
        if (!Decode(token, out index, out gen)) return -Errno.EINVAL;
        ref var e = ref At(index);
        var spin = new SpinWait();
        while (true)
        {
            long w = Volatile.Read(ref e.Word);
            if (Gen(w) != gen) return -Errno.EALREADY;
            var st = State(w);
            ReqState next = st switch { ReqState.InCallback => ReqState.Replying, ReqState.Deferred => ReqState.Sending, _ => ReqState.Free };
            if (st == ReqState.Deferring) { spin.SpinOnce(); continue; }   // the worker is a few stores from Deferred
            if (next == ReqState.Free) return -Errno.EALREADY;
            if (Interlocked.CompareExchange(ref e.Word, Pack(gen, next), w) == w)
            {
                claimed = st;
                return 0;
            }
        }
    }

    /// <summary>Give back a claim that did not answer (a reply that does not fit): the token is as it was.</summary>
    public static void Unclaim(int i, uint gen, ReqState claimed) => Volatile.Write(ref At(i).Word, Pack(gen, claimed));

    /// <summary>An inline answer is written: the worker may take it (release: the answer's fields first).</summary>
    public static void Answered(int i, uint gen) => Volatile.Write(ref At(i).Word, Pack(gen, ReqState.Replied));

    /// <summary>Send a deferred answer (the claimer holds Sending) and free the token.</summary>
    public static void SendDeferred(int i, uint gen, int errno, ReadOnlySpan<byte> payload)
    {
        ref var e = ref At(i);
        var session = e.Session!;
        session.Stats.PendingFinished();
        session.Interrupts.CompleteDeferred(e.Target.Unique);
        e.Owner!.SendDeferred(in e.Target, errno, errno == 0 ? payload : default);
        Free(i, gen, ref e);
    }

    /// <summary>True while the token is unanswered (InCallback, Deferring or Deferred of its generation).</summary>
    public static bool IsLive(nint token, out int index)
    {
        if (!Decode(token, out index, out uint gen)) return false;
        long w = Volatile.Read(ref At(index).Word);
        return Gen(w) == gen && State(w) is ReqState.InCallback or ReqState.Deferring or ReqState.Deferred;
    }

    /// <summary>The session ended: answer EIO to every request of <paramref name="fs"/> still waiting for its reply
    /// (dropped by the reply gate when the connection is gone, counted), so no token stays live for ever.</summary>
    public static int AbandonAll(NativeFileSystem fs)
    {
        int n = 0, high = Volatile.Read(ref s_next);
        for (int i = 0; i < high; i++)
        {
            ref var e = ref At(i);
            long w = Volatile.Read(ref e.Word);
            if (State(w) != ReqState.Deferred || !ReferenceEquals(e.Fs, fs)) continue;
            if (Interlocked.CompareExchange(ref e.Word, Pack(Gen(w), ReqState.Sending), w) != w) continue;
            SendDeferred(i, Gen(w), Errno.EIO, default);
            n++;
        }
        return n;
    }

    // ---- the free lists --------------------------------------------------------------------------------------

    /// <summary>The next generation and Free, then back on this thread's list (an answering thread's list fills
    /// and spills to the shared one in batches; a worker's empties and refills from it).</summary>
    private static void Free(int i, uint gen, ref ReqEntry e)
    {
        if (e.HasInterruptFn != 0) e.Session?.Interrupts.CompleteDeferred(e.Unique);
        e.Fs = null;
        e.Slot = null;
        e.Session = null;
        e.Owner = null;
        Volatile.Write(ref e.Word, Pack(gen + 1, ReqState.Free));
        var local = t_free ??= new int[LocalMax];
        if (t_count == LocalMax) Spill(local);
        local[t_count++] = i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Take()
    {
        var local = t_free;
        if (local is not null && t_count > 0) return local[--t_count];
        return Refill();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Spill(int[] local)
    {
        lock (s_lock)
        {
            if (s_freeCount + Batch > s_free.Length) Array.Resize(ref s_free, s_free.Length * 2);
            Array.Copy(local, t_count - Batch, s_free, s_freeCount, Batch);
            s_freeCount += Batch;
        }
        t_count -= Batch;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Refill()
    {
        var local = t_free ??= new int[LocalMax];
        lock (s_lock)
        {
            int n = Math.Min(s_freeCount, Batch);
            if (n > 0)
            {
                s_freeCount -= n;
                Array.Copy(s_free, s_freeCount, local, 0, n);
                t_count = n - 1;
                return local[n - 1];
            }
            int i = s_next;
            if (i >= MaxChunks * ChunkSize) throw new InvalidOperationException($"more than {MaxChunks * ChunkSize} requests are waiting for their reply");
            // A new chunk is published before any index in it is handed out (s_next is written after it).
            if ((i & (ChunkSize - 1)) == 0) Volatile.Write(ref s_chunks[i >> ChunkBits], new ReqEntry[ChunkSize]);
            Volatile.Write(ref s_next, i + 1);
            return i;
        }
    }
}
