using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using FastFuse.Inodes;

namespace FastFuse.Bench;

/// <summary>
/// Hot paths of <see cref="InodeTable{T}"/>: lookup by id, LOOKUP/FORGET reference counting,
/// slot recycling through the free list, and two threads doing LOOKUP/FORGET on a shared set.
/// </summary>
[MemoryDiagnoser]
public class InodeTableBench
{
    private const int NodeCount = 65_536;           // power of two: index with a mask
    private const int ConcurrentOps = 200_000;      // per thread per invocation

    private sealed class Node;

    private InodeTable<Node> _table = null!;
    private ulong[] _ids = null!;
    private Node _spare = null!;
    private int _cursor;

    // Concurrent benchmark: one helper thread, started once, woken per invocation.
    private Thread? _helper;
    private Barrier? _barrier;
    private volatile bool _stopHelper;

    [GlobalSetup]
    public void Setup()
    {
        _table = new InodeTable<Node>(new Node());
        _ids = new ulong[NodeCount];
        for (int i = 0; i < NodeCount; i++)
            _ids[i] = _table.Add(new Node());
        _spare = new Node();

        _barrier = new Barrier(2);
        _stopHelper = false;
        _helper = new Thread(HelperLoop) { IsBackground = true, Name = "InodeTableBench helper" };
        _helper.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopHelper = true;
        _barrier!.SignalAndWait();                  // release the helper from its start barrier
        _helper!.Join();
        _barrier.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NextId() => _ids[_cursor++ & (NodeCount - 1)];

    /// <summary>TryGet of a live node (GETATTR/READ path).</summary>
    [Benchmark(Baseline = true)]
    public bool TryGetHit() => _table.TryGet(NextId(), out _);

    /// <summary>LOOKUP reply of an existing node followed by its FORGET.</summary>
    [Benchmark]
    public bool AcquireRelease()
    {
        ulong id = NextId();
        _table.Acquire(id);
        return _table.Release(id, 1, out _);
    }

    /// <summary>New node then FORGET: pops and pushes the free list, bumps the slot generation.</summary>
    [Benchmark]
    public bool AddRelease()
    {
        ulong id = _table.Add(_spare);
        return _table.Release(id, 1, out _);
    }

    /// <summary>
    /// Two threads doing Acquire/Release on the same shared nodes (cache-line contention on the counts).
    /// Reported per Acquire+Release pair.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 2 * ConcurrentOps)]
    public void ConcurrentLookupForget()
    {
        _barrier!.SignalAndWait();                  // start the helper
        LookupForgetLoop(_table, _ids, 0);
        _barrier.SignalAndWait();                   // wait for it to finish
    }

    private void HelperLoop()
    {
        while (true)
        {
            _barrier!.SignalAndWait();
            if (_stopHelper)
                return;
            LookupForgetLoop(_table, _ids, 7);
            _barrier.SignalAndWait();
        }
    }

    private static void LookupForgetLoop(InodeTable<Node> table, ulong[] ids, int offset)
    {
        // Both threads walk the same small hot set (64 nodes) so they really collide.
        for (int i = 0; i < ConcurrentOps; i++)
        {
            ulong id = ids[(i + offset) & 63];
            if (table.Acquire(id))
                table.Release(id, 1, out _);
        }
    }
}
