using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastFuse.Inodes;

/// <summary>
/// Lock-free table mapping FUSE node ids to values, with kernel-style reference counting.
/// </summary>
/// <remarks>
/// <para>
/// <b>Node ids.</b> A node id is <c>(generation &lt;&lt; 32) | slot</c>. Every time a slot is freed its
/// generation is incremented, so an id the kernel (or the filesystem) kept after the node was freed
/// never resolves to the slot's next occupant. The root lives in slot 1 with generation 0, so its id is
/// 1 (FUSE_ROOT_ID); it is never freed, so its generation never changes. Slot 0 is never handed out,
/// so node id 0 is always invalid.
/// </para>
/// <para>
/// <b>Storage.</b> Entries live in fixed-size chunks (<c>chunkSize</c> entries, a power of two) reached
/// through a directory array. Chunks never move and are never freed, so a reader holding a
/// <c>ref Entry</c> can never observe memory being relocated under it. Adding a chunk or growing the
/// directory happens under a lock (rare: once per <c>chunkSize</c> slots); a larger directory is a
/// copy-on-write replacement published with <see cref="Volatile.Write{T}(ref T, T)"/>, and readers load it
/// with <see cref="Volatile.Read{T}(ref readonly T)"/>. Per node the cost is one 24-byte struct.
/// </para>
/// <para>
/// <b>Free slots</b> are kept on a Treiber stack whose head is one 64-bit word
/// <c>(tag &lt;&lt; 32) | slot</c>; the tag is incremented on every push and pop so a pop that read a stale
/// head (ABA) fails its CompareExchange.
/// </para>
/// <para>
/// <b>Per-slot state word.</b> The 64-bit <c>State</c> holds the reference count in its low 48 bits
/// and the low 16 bits of the slot's generation in its high 16 bits. Acquire/Release change it only with
/// CompareExchange, and only when the tag equals the caller's generation, so a CAS prepared against
/// one incarnation of a slot cannot land on a later one with the same count (the CAS would need the slot
/// to be freed and reused exactly a multiple of 65,536 times inside the few instructions between the
/// generation re-check and the CAS, and to end at the same count). 2^48-1 references is far beyond
/// any real kernel lookup count; on overflow the count saturates.
/// </para>
/// <para>
/// <b>Memory-ordering invariant protecting readers against free + reuse.</b>
/// A slot's <c>Generation</c> and <c>Value</c> are written only by the thread that owns the slot: the
/// thread whose CAS brought the count to zero (until it pushes the slot on the free list) or the thread
/// that popped it (until it publishes the state word). The writers order their stores so:
/// <list type="bullet">
/// <item>free: CAS <c>State</c> count → 0; then <c>Generation</c> = g + 1 (release); then
///   <c>Value</c> = null (release); then push (CAS);</item>
/// <item>allocate: pop (CAS); <c>Value</c> = v (release); then <c>State</c> = tag(g) | count (release).</item>
/// </list>
/// Hence every store to <c>Value</c> that belongs to an incarnation after g happens-after the
/// <c>Generation</c> bump away from g, and the state word of incarnation g is published only after its
/// <c>Value</c>. A reader of id (g, slot) performs acquire loads in the order
/// <c>Generation</c> (== g) → <c>State</c> (count &gt; 0, tag == g) → <c>Value</c> → <c>Generation</c> (== g):
/// <list type="bullet">
/// <item>The first generation load saw g, so the previous incarnation's count→0 CAS (which precedes
///   the bump to g) is visible: the state load returns incarnation g's word or a later one.</item>
/// <item>If it returned g's live word, g's <c>Value</c> store (which precedes it) is visible, so the value
///   load returns v or a later store.</item>
/// <item>A later store (null, or a later occupant's value) happens-after the bump past g, so the final
///   generation load cannot return g any more and the reader reports "not found".</item>
/// </list>
/// So TryGet returns either false or exactly the value stored for that id. (Generations wrap after
/// 2^32 reuses of one slot; a stale id kept across 4 billion reuses of its slot is out of scope.)
/// Acquire/Release use the same generation → state → generation sequence before their CAS, which is
/// why a node whose count reached zero is never resurrected and a stale id never changes a later
/// occupant's count.
/// </para>
/// </remarks>
public sealed class InodeTable<T> where T : class
{
    /// <summary>FUSE_ROOT_ID.</summary>
    public const ulong RootId = 1;

    private const uint RootSlot = 1;
    private const int CountBits = 48;
    private const long CountMask = (1L << CountBits) - 1;
    private const uint TagMask = 0xFFFF;

    /// <summary>Largest reference count a node can hold; counts saturate there.</summary>
    public const long MaxCount = CountMask;

    private struct Entry
    {
        public T? Value;
        public long State;          // tag(generation) << 48 | count
        public uint Generation;
        public int NextFree;        // free-list link (slot), meaningful only while on the free list
    }

    private readonly int _chunkSize;
    private readonly int _shift;
    private readonly uint _mask;
    private readonly Lock _growLock = new();

    private Entry[]?[] _directory;  // copy-on-write under _growLock; chunks never move
    private int _chunkCount;
    private int _nextSlot;          // last slot handed out by bump allocation
    private long _freeHead;         // tag << 32 | slot (0 = empty)
    private int _live;

    /// <summary>A table holding <paramref name="root"/> as node <see cref="RootId"/>, with a reference count of 1; the
    /// root is never freed.</summary>
    /// <param name="root">The root directory's value.</param>
    /// <param name="chunkSize">Entries per storage chunk: a power of two from 2 to 2^24.</param>
    public InodeTable(T root, int chunkSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (chunkSize < 2 || chunkSize > (1 << 24) || (chunkSize & (chunkSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "chunkSize must be a power of two in [2, 2^24].");

        _chunkSize = chunkSize;
        _shift = System.Numerics.BitOperations.Log2((uint)chunkSize);
        _mask = (uint)chunkSize - 1;
        _directory = new Entry[]?[16];
        _directory[0] = new Entry[chunkSize];
        _chunkCount = 1;

        ref Entry r = ref _directory[0]![RootSlot];
        r.Generation = 0;
        r.Value = root;
        r.State = 1;
        _nextSlot = (int)RootSlot;
        _live = 1;
    }

    /// <summary>Number of live nodes, including the root.</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>Number of slots backed by storage so far (chunks allocated × chunk size).</summary>
    public int Capacity => (int)Math.Min((long)Volatile.Read(ref _chunkCount) * _chunkSize, int.MaxValue);

    /// <summary>Slot part of a node id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SlotOf(ulong nodeId) => (uint)nodeId;

    /// <summary>Generation part of a node id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint GenerationOf(ulong nodeId) => (uint)(nodeId >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MakeId(uint generation, uint slot) => ((ulong)generation << 32) | slot;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long TagOf(uint generation) => (long)((ulong)(generation & TagMask) << CountBits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLive(long state, uint generation)
        => (state & CountMask) != 0 && (state & ~CountMask) == TagOf(generation);

    /// <summary>Reference to the entry of <paramref name="slot"/>, or a null ref if no storage backs it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Entry EntryRef(uint slot)
    {
        Entry[]?[] dir = Volatile.Read(ref _directory);
        uint ci = slot >> _shift;
        if (ci < (uint)dir.Length)
        {
            Entry[]? chunk = Volatile.Read(ref dir[ci]);
            if (chunk is not null)
                return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), (nint)(slot & _mask));
        }
        return ref Unsafe.NullRef<Entry>();
    }

    /// <summary>Allocates a slot for <paramref name="value"/> with the given count and returns its node id.</summary>
    public ulong Add(T value, long initialCount = 1)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (initialCount <= 0)
            ThrowCountOutOfRange(nameof(initialCount), initialCount);
        if (initialCount > MaxCount)
            initialCount = MaxCount;

        uint slot = Pop();
        if (slot == 0)
            slot = BumpSlot();

        ref Entry e = ref EntryRef(slot);
        uint gen = e.Generation;                         // we own the slot: nobody else writes it
        Interlocked.Increment(ref _live);
        Volatile.Write(ref e.Value, value);              // value first ...
        Volatile.Write(ref e.State, TagOf(gen) | initialCount); // ... then make it live
        return MakeId(gen, slot);
    }

    /// <summary>Lock-free lookup. False for 0, unknown, freed or stale-generation ids.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ulong nodeId, [MaybeNullWhen(false)] out T value)
    {
        uint gen = GenerationOf(nodeId);
        ref Entry e = ref EntryRef(SlotOf(nodeId));
        // Order matters, see the class remarks: generation -> state -> value -> generation.
        if (!Unsafe.IsNullRef(ref e) && Volatile.Read(ref e.Generation) == gen
            && IsLive(Volatile.Read(ref e.State), gen))
        {
            T? v = Volatile.Read(ref e.Value);
            if (v is not null && Volatile.Read(ref e.Generation) == gen)
            {
                value = v;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary><see cref="TryGet"/> or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T? Get(ulong nodeId) => TryGet(nodeId, out T? v) ? v : null;

    /// <summary>Current count of the node, 0 if it is not live.</summary>
    public long CountOf(ulong nodeId)
    {
        uint gen = GenerationOf(nodeId);
        ref Entry e = ref EntryRef(SlotOf(nodeId));
        if (Unsafe.IsNullRef(ref e) || Volatile.Read(ref e.Generation) != gen)
            return 0;
        long s = Volatile.Read(ref e.State);
        if (!IsLive(s, gen) || Volatile.Read(ref e.Generation) != gen)
            return 0;
        return s & CountMask;
    }

    /// <summary>
    /// Adds <paramref name="n"/> references if the node is live (count &gt; 0 and generation matches).
    /// Returns false otherwise; a node whose count reached zero is never resurrected.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Acquire(ulong nodeId, long n = 1)
    {
        if (n <= 0)
        {
            if (n == 0)
                return CountOf(nodeId) > 0;
            ThrowCountOutOfRange(nameof(n), n);
        }

        uint gen = GenerationOf(nodeId);
        ref Entry e = ref EntryRef(SlotOf(nodeId));
        if (Unsafe.IsNullRef(ref e) || Volatile.Read(ref e.Generation) != gen)
            return false;

        long s = Volatile.Read(ref e.State);
        while (true)
        {
            // s must be incarnation gen's live word: tag matches and the generation is still gen.
            if (!IsLive(s, gen) || Volatile.Read(ref e.Generation) != gen)
                return false;
            long count = s & CountMask;
            long next = n >= MaxCount - count ? MaxCount : count + n;
            long seen = Interlocked.CompareExchange(ref e.State, (s & ~CountMask) | next, s);
            if (seen == s)
                return true;
            s = seen;
        }
    }

    /// <summary>
    /// Removes <paramref name="n"/> references (clamped: releasing more than held frees the node).
    /// Returns true and the value when this call freed the node. The root is never freed; stale ids
    /// are ignored (false).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Release(ulong nodeId, long n, [MaybeNullWhen(false)] out T freed)
    {
        freed = null;
        if (n <= 0)
        {
            if (n < 0)
                ThrowCountOutOfRange(nameof(n), n);
            return false;
        }

        uint slot = SlotOf(nodeId);
        uint gen = GenerationOf(nodeId);
        ref Entry e = ref EntryRef(slot);
        if (Unsafe.IsNullRef(ref e) || Volatile.Read(ref e.Generation) != gen)
            return false;

        long floor = slot == RootSlot ? 1 : 0;
        long s = Volatile.Read(ref e.State);
        while (true)
        {
            if (!IsLive(s, gen) || Volatile.Read(ref e.Generation) != gen)
                return false;
            long count = s & CountMask;
            long next = count - n;
            if (next < floor)
                next = floor;
            long seen = Interlocked.CompareExchange(ref e.State, (s & ~CountMask) | next, s);
            if (seen == s)
            {
                if (next != 0)
                    return false;
                freed = FreeSlot(ref e, slot, gen);
                return true;
            }
            s = seen;
        }
    }

    /// <summary>Called by the thread whose CAS took the count to zero: it now owns the slot.</summary>
    private T FreeSlot(ref Entry e, uint slot, uint gen)
    {
        T value = e.Value!;
        Volatile.Write(ref e.Generation, unchecked(gen + 1)); // stale ids stop matching first ...
        Volatile.Write(ref e.Value, null);                    // ... then drop the reference
        Interlocked.Decrement(ref _live);
        Push(slot, ref e);
        return value;
    }

    // ---- free list (Treiber stack, head = tag << 32 | slot) ----

    private void Push(uint slot, ref Entry e)
    {
        while (true)
        {
            long head = Volatile.Read(ref _freeHead);
            e.NextFree = (int)(uint)head;                     // published by the CAS below
            long tag = (long)((ulong)head >> 32) + 1;
            long next = (tag << 32) | slot;
            if (Interlocked.CompareExchange(ref _freeHead, next, head) == head)
                return;
        }
    }

    private uint Pop()
    {
        while (true)
        {
            long head = Volatile.Read(ref _freeHead);
            uint slot = (uint)head;
            if (slot == 0)
                return 0;
            // The slot may have been popped (and even reused) by another thread meanwhile; then its
            // NextFree is meaningless but the tag has moved on, so the CAS below fails.
            ref Entry e = ref EntryRef(slot);
            uint nextSlot = (uint)Volatile.Read(ref e.NextFree);
            long tag = (long)((ulong)head >> 32) + 1;
            long next = (tag << 32) | nextSlot;
            if (Interlocked.CompareExchange(ref _freeHead, next, head) == head)
                return slot;
        }
    }

    private uint BumpSlot()
    {
        int s = Interlocked.Increment(ref _nextSlot);
        if (s <= 0)
            throw new InvalidOperationException("Inode table is full.");
        uint slot = (uint)s;
        uint ci = slot >> _shift;
        Entry[]?[] dir = Volatile.Read(ref _directory);
        if (ci >= (uint)dir.Length || Volatile.Read(ref dir[ci]) is null)
            EnsureChunk(ci);
        return slot;
    }

    private void EnsureChunk(uint ci)
    {
        lock (_growLock)
        {
            Entry[]?[] dir = _directory;
            if (ci >= (uint)dir.Length)
            {
                long len = Math.Max((long)dir.Length * 2, (long)ci + 1);
                var grown = new Entry[]?[len];
                Array.Copy(dir, grown, dir.Length);
                Volatile.Write(ref _directory, grown);        // copy-on-write: old directory stays valid
                dir = grown;
            }
            if (dir[ci] is null)
            {
                Volatile.Write(ref dir[ci], new Entry[_chunkSize]);
                Volatile.Write(ref _chunkCount, _chunkCount + 1);
            }
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCountOutOfRange(string name, long value)
        => throw new ArgumentOutOfRangeException(name, value, "Count must be positive.");
}
