using System.Collections.Concurrent;
using System.Diagnostics;
using FastFuse.Inodes;

namespace FastFuse.Tests.Unit;

public sealed class InodeTableTests
{
    private sealed class Node(int owner, long seq)
    {
        public int Owner { get; } = owner;
        public long Seq { get; } = seq;
        public override string ToString() => $"Node(t{Owner}#{Seq})";
    }

    private static Node NewRoot() => new(-1, 0);

    // ------------------------------------------------------------------ single-thread semantics

    [Fact]
    public void Root_IsId1_WithCount1()
    {
        var root = NewRoot();
        var t = new InodeTable<Node>(root);
        Assert.Equal(1UL, InodeTable<Node>.RootId);
        Assert.True(t.TryGet(InodeTable<Node>.RootId, out var v));
        Assert.Same(root, v);
        Assert.Same(root, t.Get(1));
        Assert.Equal(1, t.CountOf(1));
        Assert.Equal(1, t.LiveCount);
        Assert.True(t.Capacity >= 2);
    }

    [Fact]
    public void IdZero_AndUnknownIds_AreInvalid()
    {
        var t = new InodeTable<Node>(NewRoot());
        Assert.False(t.TryGet(0, out _));
        Assert.Null(t.Get(0));
        Assert.False(t.Acquire(0));
        Assert.False(t.Release(0, 1, out _));
        Assert.Equal(0, t.CountOf(0));

        Assert.False(t.TryGet(2, out _));                       // never allocated, within the chunk
        Assert.False(t.TryGet(123_456_789, out _));             // beyond any chunk
        Assert.False(t.TryGet(uint.MaxValue, out _));
        Assert.False(t.TryGet(ulong.MaxValue, out _));
        Assert.False(t.TryGet((1UL << 32) | 1, out _));          // root slot, wrong generation
        Assert.False(t.Acquire((1UL << 32) | 1));
        Assert.False(t.Release((1UL << 32) | 1, 1, out _));
        Assert.False(t.Acquire(ulong.MaxValue));
        Assert.Equal(1, t.CountOf(1));
    }

    [Fact]
    public void Add_Get_Acquire_Release()
    {
        var t = new InodeTable<Node>(NewRoot());
        var a = new Node(0, 1);
        var b = new Node(0, 2);
        ulong ia = t.Add(a);
        ulong ib = t.Add(b, 3);
        Assert.NotEqual(ia, ib);
        Assert.NotEqual(0UL, ia);
        Assert.NotEqual(InodeTable<Node>.RootId, ia);
        Assert.Same(a, t.Get(ia));
        Assert.Same(b, t.Get(ib));
        Assert.Equal(1, t.CountOf(ia));
        Assert.Equal(3, t.CountOf(ib));
        Assert.Equal(3, t.LiveCount);

        Assert.True(t.Acquire(ia));
        Assert.True(t.Acquire(ia, 5));
        Assert.Equal(7, t.CountOf(ia));

        Assert.False(t.Release(ia, 6, out var freed));
        Assert.Null(freed);
        Assert.Equal(1, t.CountOf(ia));
        Assert.Same(a, t.Get(ia));

        Assert.True(t.Release(ia, 1, out freed));
        Assert.Same(a, freed);
        Assert.False(t.TryGet(ia, out _));
        Assert.Equal(0, t.CountOf(ia));
        Assert.Equal(2, t.LiveCount);

        // A freed node is never resurrected, and releasing it again is ignored.
        Assert.False(t.Acquire(ia));
        Assert.False(t.Release(ia, 1, out _));
        Assert.Equal(2, t.LiveCount);

        // Releasing more than held frees (clamped).
        Assert.True(t.Release(ib, 1000, out freed));
        Assert.Same(b, freed);
        Assert.Equal(1, t.LiveCount);
    }

    [Fact]
    public void ZeroCounts_AreNoOps_NegativeThrow()
    {
        var t = new InodeTable<Node>(NewRoot());
        ulong id = t.Add(new Node(0, 1));
        Assert.True(t.Acquire(id, 0));
        Assert.False(t.Release(id, 0, out _));
        Assert.Equal(1, t.CountOf(id));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Acquire(id, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Release(id, -1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Add(new Node(0, 2), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InodeTable<Node>(NewRoot(), 1000));
        Assert.Equal(1, t.CountOf(id));
    }

    [Fact]
    public void Root_IsNeverFreed()
    {
        var root = NewRoot();
        var t = new InodeTable<Node>(root);
        Assert.False(t.Release(1, 1, out _));
        Assert.False(t.Release(1, long.MaxValue, out _));
        Assert.Same(root, t.Get(1));
        Assert.True(t.CountOf(1) >= 1);
        Assert.Equal(1, t.LiveCount);
        Assert.True(t.Acquire(1, 10));
        Assert.False(t.Release(1, 10, out _));
        Assert.Same(root, t.Get(1));

        // Root's slot is not recycled: new nodes never get id 1.
        for (int i = 0; i < 100; i++)
        {
            ulong id = t.Add(new Node(0, i));
            Assert.NotEqual(1UL, InodeTable<Node>.SlotOf(id));
            Assert.True(t.Release(id, 1, out _));
        }
        Assert.Same(root, t.Get(1));
    }

    [Fact]
    public void StaleId_AfterReuse_DoesNotResolve_AndGenerationChanges()
    {
        var t = new InodeTable<Node>(NewRoot());
        var a = new Node(0, 1);
        ulong ia = t.Add(a);
        Assert.True(t.Release(ia, 1, out _));

        var b = new Node(0, 2);
        ulong ib = t.Add(b);
        Assert.Equal(InodeTable<Node>.SlotOf(ia), InodeTable<Node>.SlotOf(ib));      // slot reused
        Assert.NotEqual(InodeTable<Node>.GenerationOf(ia), InodeTable<Node>.GenerationOf(ib));
        Assert.Equal(InodeTable<Node>.GenerationOf(ia) + 1, InodeTable<Node>.GenerationOf(ib));

        Assert.False(t.TryGet(ia, out _));
        Assert.Null(t.Get(ia));
        Assert.Equal(0, t.CountOf(ia));
        Assert.False(t.Acquire(ia));                 // must not bump the new occupant
        Assert.False(t.Release(ia, 1, out _));       // must not release the new occupant
        Assert.Equal(1, t.CountOf(ib));
        Assert.Same(b, t.Get(ib));

        // Many reuses of one slot: every old id stays dead.
        var old = new List<ulong> { ia };
        ulong cur = ib;
        for (int i = 0; i < 1000; i++)
        {
            old.Add(cur);
            Assert.True(t.Release(cur, 1, out _));
            cur = t.Add(new Node(0, 100 + i));
            Assert.Equal(InodeTable<Node>.SlotOf(ia), InodeTable<Node>.SlotOf(cur));
        }
        foreach (ulong o in old)
        {
            Assert.False(t.TryGet(o, out _));
            Assert.False(t.Acquire(o));
        }
        Assert.Equal(2, t.LiveCount);
    }

    [Fact]
    public void FreeList_IsLifo_AndReusesAllSlots()
    {
        var t = new InodeTable<Node>(NewRoot(), chunkSize: 16);
        var ids = new List<ulong>();
        for (int i = 0; i < 100; i++)
            ids.Add(t.Add(new Node(0, i)));
        int cap = t.Capacity;
        var slots = ids.Select(InodeTable<Node>.SlotOf).ToHashSet();
        foreach (ulong id in ids)
            Assert.True(t.Release(id, 1, out _));
        Assert.Equal(1, t.LiveCount);

        var reused = new HashSet<uint>();
        for (int i = 0; i < 100; i++)
            Assert.True(reused.Add(InodeTable<Node>.SlotOf(t.Add(new Node(1, i)))));
        Assert.True(slots.SetEquals(reused));
        Assert.Equal(cap, t.Capacity);                   // no growth: everything came from the free list
    }

    [Fact]
    public void Capacity_GrowsAcrossManyChunks_MillionNodes()
    {
        const int N = 1_000_000;
        var t = new InodeTable<Node>(NewRoot());       // 4096 per chunk → ~245 chunks
        var ids = new ulong[N];
        var nodes = new Node[N];
        for (int i = 0; i < N; i++)
        {
            nodes[i] = new Node(0, i);
            ids[i] = t.Add(nodes[i]);
        }
        Assert.Equal(N + 1, t.LiveCount);
        Assert.True(t.Capacity >= N + 2);
        Assert.Equal(0, t.Capacity % 4096);
        for (int i = 0; i < N; i += 997)
            Assert.Same(nodes[i], t.Get(ids[i]));
        for (int i = 0; i < N; i++)
        {
            if (!ReferenceEquals(nodes[i], t.Get(ids[i])))
                Assert.Fail($"id {ids[i]:x} lost its value");
        }
        Assert.Equal(N, ids.Distinct().Count());
        for (int i = 0; i < N; i++)
        {
            if (!t.Release(ids[i], 1, out var f) || !ReferenceEquals(f, nodes[i]))
                Assert.Fail($"id {ids[i]:x} not freed correctly");
        }
        Assert.Equal(1, t.LiveCount);
    }

    [Fact]
    public void SmallChunks_GrowDirectoryManyTimes()
    {
        var t = new InodeTable<Node>(NewRoot(), chunkSize: 2);
        var ids = new ulong[10_000];
        var nodes = new Node[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = t.Add(nodes[i] = new Node(0, i));
        for (int i = 0; i < ids.Length; i++)
            Assert.Same(nodes[i], t.Get(ids[i]));
        Assert.True(t.Capacity >= ids.Length + 2);
    }

    [Fact]
    public void Count_Saturates_InsteadOfOverflowing()
    {
        var t = new InodeTable<Node>(NewRoot());
        ulong id = t.Add(new Node(0, 1), long.MaxValue);
        Assert.Equal(InodeTable<Node>.MaxCount, t.CountOf(id));
        Assert.True(t.Acquire(id, long.MaxValue));
        Assert.Equal(InodeTable<Node>.MaxCount, t.CountOf(id));
        Assert.True(t.Release(id, long.MaxValue, out _));
        Assert.Equal(1, t.LiveCount);
    }

    // ------------------------------------------------------------------ multi-thread hammers

    private static readonly TimeSpan HammerTime = TimeSpan.FromMilliseconds(1500);

    private static void RunThreads(int count, Action<int> body)
    {
        var errors = new ConcurrentQueue<Exception>();
        var start = new Barrier(count);
        var threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int tid = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    body(tid);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }) { IsBackground = true };
            threads[i].Start();
        }
        foreach (var th in threads)
            Assert.True(th.Join(TimeSpan.FromSeconds(30)), "hammer thread hung");
        if (!errors.IsEmpty)
            throw new AggregateException(errors);
    }

    private sealed class Held(ulong id, Node node, long count)
    {
        public ulong Id = id;
        public Node Node = node;
        public long Count = count;
    }

    /// <summary>
    /// Each thread owns its nodes: add / acquire / release / full release (slot reuse) with a private
    /// ledger. Checks every held id resolves to exactly its value with exactly the ledger count, stale
    /// ids never resolve nor accept references, and no slot is owned by two live nodes at once.
    /// </summary>
    [Theory]
    [InlineData(4096)]
    [InlineData(8)]   // tiny chunks: concurrent chunk/directory growth too
    public void Hammer_PrivateLedgers(int chunkSize)
    {
        const int Threads = 8;
        var t = new InodeTable<Node>(NewRoot(), chunkSize);
        var slotOwner = new int[1 << 22];               // slot -> owning thread + 1 (0 = free)
        long totalOps = 0;

        RunThreads(Threads, tid =>
        {
            var rng = new Random(1234 + tid);
            var held = new List<Held>();
            var stale = new List<(ulong Id, Node Node)>();
            long seq = 0, ops = 0;
            var sw = Stopwatch.StartNew();

            void Claim(ulong id)
            {
                uint slot = InodeTable<Node>.SlotOf(id);
                Assert.True(slot > 1 && slot < slotOwner.Length, $"bad slot {slot}");
                int prev = Interlocked.CompareExchange(ref slotOwner[slot], tid + 1, 0);
                if (prev != 0)
                    Assert.Fail($"slot {slot} handed to thread {tid} while owned by thread {prev - 1}");
            }

            void CheckStale(ulong id, Node node)
            {
                if (t.TryGet(id, out var v))
                    Assert.Fail(ReferenceEquals(v, node)
                        ? $"freed id {id:x} still resolves"
                        : $"stale id {id:x} resolved to another object {v}");
                Assert.Equal(0, t.CountOf(id));
            }

            while (sw.Elapsed < HammerTime)
            {
                ops++;
                int op = rng.Next(100);
                if (held.Count < 4 || (op < 30 && held.Count < 512))
                {
                    var node = new Node(tid, seq++);
                    long c = rng.Next(1, 4);
                    ulong id = t.Add(node, c);
                    Claim(id);
                    held.Add(new Held(id, node, c));
                }
                else if (op < 50)
                {
                    var h = held[rng.Next(held.Count)];
                    long n = rng.Next(1, 5);
                    Assert.True(t.Acquire(h.Id, n));
                    h.Count += n;
                }
                else if (op < 70)
                {
                    int idx = rng.Next(held.Count);
                    var h = held[idx];
                    if (h.Count > 1)
                    {
                        long n = rng.Next(1, (int)Math.Min(h.Count, 1000));
                        Assert.False(t.Release(h.Id, n, out _));
                        h.Count -= n;
                    }
                }
                else if (op < 90)
                {
                    int idx = rng.Next(held.Count);
                    var h = held[idx];
                    held[idx] = held[^1];
                    held.RemoveAt(held.Count - 1);
                    uint slot = InodeTable<Node>.SlotOf(h.Id);
                    // Give up ownership *before* the freeing Release: afterwards another thread may get the slot.
                    Volatile.Write(ref slotOwner[slot], 0);
                    long n = rng.Next(2) == 0 ? h.Count : h.Count + rng.Next(1, 10);   // exact or over-release
                    Assert.True(t.Release(h.Id, n, out var freed));
                    Assert.Same(h.Node, freed);
                    stale.Add((h.Id, h.Node));
                    if (stale.Count > 4096)
                        stale.RemoveRange(0, 2048);
                }
                else
                {
                    // Verify the whole ledger and a sample of stale ids.
                    foreach (var h in held)
                    {
                        if (!t.TryGet(h.Id, out var v) || !ReferenceEquals(v, h.Node))
                            Assert.Fail($"held id {h.Id:x} resolved to {v?.ToString() ?? "nothing"}, expected {h.Node}");
                        Assert.Equal(h.Count, t.CountOf(h.Id));
                    }
                    for (int i = 0; i < Math.Min(stale.Count, 64); i++)
                    {
                        var (id, node) = stale[rng.Next(stale.Count)];
                        CheckStale(id, node);
                        Assert.False(t.Acquire(id));
                        Assert.False(t.Release(id, 1, out _));
                    }
                }
            }

            foreach (var (id, node) in stale)
                CheckStale(id, node);
            foreach (var h in held)
            {
                Assert.Same(h.Node, t.Get(h.Id));
                Volatile.Write(ref slotOwner[InodeTable<Node>.SlotOf(h.Id)], 0);
                Assert.True(t.Release(h.Id, h.Count, out var freed));
                Assert.Same(h.Node, freed);
            }
            Interlocked.Add(ref totalOps, ops);
        });

        Assert.Equal(1, t.LiveCount);
        Assert.Equal(1, t.CountOf(1));
        Assert.True(totalOps > 1000, $"only {totalOps} ops");
    }

    private sealed class Published(ulong id, Node node)
    {
        public readonly ulong Id = id;
        public readonly Node Node = node;
    }

    /// <summary>
    /// Kernel-style LOOKUP / FORGET on a shared set of names: threads Acquire the published node of a
    /// name (or Add a new one when Acquire reports it dead), hold lookups, and Release them in batches.
    /// Concurrent peekers TryGet published ids that may be freed at any moment: a hit must return the
    /// object published with that id. Every node must be freed exactly once, by the Release that
    /// dropped its last reference, and the table must end with only the root.
    /// </summary>
    [Fact]
    public void Hammer_SharedLookupForget()
    {
        const int Workers = 6, Peekers = 2, Names = 64;
        var t = new InodeTable<Node>(NewRoot(), chunkSize: 64);
        var names = new Published?[Names];
        var freedIds = new ConcurrentDictionary<ulong, Node>();
        long added = 0, freedCount = 0, acquires = 0;
        using var stop = new CancellationTokenSource(HammerTime);

        RunThreads(Workers + Peekers, tid =>
        {
            var rng = new Random(99 + tid);
            if (tid >= Workers)
            {
                // Peeker: pure lock-free reads racing with frees and reuse.
                while (!stop.IsCancellationRequested)
                {
                    for (int i = 0; i < 256; i++)
                    {
                        var p = Volatile.Read(ref names[rng.Next(Names)]);
                        if (p is null)
                            continue;
                        if (t.TryGet(p.Id, out var v))
                        {
                            if (!ReferenceEquals(v, p.Node))
                                Assert.Fail($"id {p.Id:x} resolved to {v}, published with {p.Node}");
                        }
                    }
                }
                return;
            }

            var mine = new Dictionary<ulong, (Node Node, long Count)>();
            long seq = 0;
            void OnRelease(ulong id, Node expected, bool wasFreed, Node? freed)
            {
                if (!wasFreed)
                    return;
                Assert.Same(expected, freed);
                if (!freedIds.TryAdd(id, freed!))
                    Assert.Fail($"node id {id:x} freed twice");
                Interlocked.Increment(ref freedCount);
            }

            while (!stop.IsCancellationRequested)
            {
                int k = rng.Next(Names);
                if (rng.Next(3) != 0)
                {
                    // LOOKUP
                    var p = Volatile.Read(ref names[k]);
                    if (p is not null && t.Acquire(p.Id))
                    {
                        Interlocked.Increment(ref acquires);
                        if (!t.TryGet(p.Id, out var v) || !ReferenceEquals(v, p.Node))
                            Assert.Fail($"acquired id {p.Id:x} does not resolve to its node");
                        mine[p.Id] = mine.TryGetValue(p.Id, out var e) ? (e.Node, e.Count + 1) : (p.Node, 1);
                    }
                    else
                    {
                        var node = new Node(tid, seq++);
                        ulong id = t.Add(node);
                        Interlocked.Increment(ref added);
                        Assert.False(mine.ContainsKey(id), $"Add returned id {id:x} that is still live");
                        mine[id] = (node, 1);
                        Interlocked.CompareExchange(ref names[k], new Published(id, node), p);
                    }
                }
                else if (mine.Count > 0)
                {
                    // FORGET (sometimes a batch of everything held)
                    if (rng.Next(16) == 0)
                    {
                        foreach (var (id, e) in mine)
                            OnRelease(id, e.Node, t.Release(id, e.Count, out var f), f);
                        mine.Clear();
                    }
                    else
                    {
                        ulong id = mine.Keys.ElementAt(rng.Next(mine.Count));
                        var e = mine[id];
                        long n = rng.Next(1, (int)e.Count + 1);
                        OnRelease(id, e.Node, t.Release(id, n, out var f), f);
                        if (n == e.Count)
                            mine.Remove(id);
                        else
                            mine[id] = (e.Node, e.Count - n);
                    }
                }
            }

            foreach (var (id, e) in mine)
                OnRelease(id, e.Node, t.Release(id, e.Count, out var f), f);
        });

        Assert.True(acquires > 100, $"only {acquires} acquires");
        Assert.Equal(added, freedCount);
        Assert.Equal(1, t.LiveCount);
        foreach (var p in names)
        {
            if (p is not null)
                Assert.False(t.TryGet(p.Id, out _));
        }
        foreach (var id in freedIds.Keys)
            Assert.Equal(0, t.CountOf(id));
    }

    /// <summary>Tight Add/Release churn on a tiny table: maximal free-list contention.</summary>
    [Fact]
    public void Hammer_FreeListContention_NoSlotHandedOutTwice()
    {
        const int Threads = 8;
        var t = new InodeTable<Node>(NewRoot(), chunkSize: 16);
        var slotOwner = new int[1 << 16];
        long cycles = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(1000));

        RunThreads(Threads, tid =>
        {
            var mine = new Queue<(ulong Id, Node Node)>();
            var rng = new Random(tid);
            long seq = 0, local = 0;
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < 64; i++)
                {
                    if (mine.Count < 1 + rng.Next(4))
                    {
                        var node = new Node(tid, seq++);
                        ulong id = t.Add(node);
                        uint slot = InodeTable<Node>.SlotOf(id);
                        int prev = Interlocked.CompareExchange(ref slotOwner[slot], tid + 1, 0);
                        if (prev != 0)
                            Assert.Fail($"slot {slot} handed out twice (threads {prev - 1} and {tid})");
                        mine.Enqueue((id, node));
                    }
                    else
                    {
                        var (id, node) = mine.Dequeue();
                        if (!ReferenceEquals(t.Get(id), node))
                            Assert.Fail($"id {id:x} lost its value");
                        Volatile.Write(ref slotOwner[InodeTable<Node>.SlotOf(id)], 0);
                        if (!t.Release(id, 1, out var f) || !ReferenceEquals(f, node))
                            Assert.Fail($"id {id:x} not freed by its last release");
                        if (t.TryGet(id, out _))
                            Assert.Fail($"freed id {id:x} still resolves");
                        local++;
                    }
                }
            }
            while (mine.Count > 0)
            {
                var (id, node) = mine.Dequeue();
                Volatile.Write(ref slotOwner[InodeTable<Node>.SlotOf(id)], 0);
                Assert.True(t.Release(id, 1, out var f));
                Assert.Same(node, f);
            }
            Interlocked.Add(ref cycles, local);
        });

        Assert.Equal(1, t.LiveCount);
        Assert.True(cycles > 1000, $"only {cycles} cycles");
        // 8 threads holding at most 4 nodes each: the free list must have kept the table tiny.
        Assert.True(t.Capacity <= 64, $"capacity {t.Capacity}: slots leaked from the free list");
    }
}
