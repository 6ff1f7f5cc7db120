using System.Diagnostics;

namespace FastFuse.Bench;

/// <summary>Bytes allocated on this thread per dispatched request, without BenchmarkDotNet's machinery.</summary>
public static unsafe class AllocationCheck
{
    public static void Run(int iterations)
    {
        using var f = new DispatchFixture();
        foreach (var (name, r) in new[] { ("GETATTR", f.Getattr), ("LOOKUP", f.Lookup), ("READ 4K", f.Read) })
        {
            for (int i = 0; i < 5_000; i++) f.Worker.Process(r.Pointer, r.Length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++) f.Worker.Process(r.Pointer, r.Length);
            long delta = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.WriteLine($"{name,-8} {iterations} ops: {delta} bytes ({delta / (double)iterations:F3} B/op), last error {f.Channel.LastError}");
        }
        // Rounds of 1,000 from a cold start in a second fixture: which round allocates, and how much.
        using var g = new DispatchFixture();
        var sw = Stopwatch.StartNew();
        for (int round = 0; round < 2_000; round++)
        {
            foreach (var (name, r) in new[] { ("GETATTR", g.Getattr), ("LOOKUP", g.Lookup), ("READ 4K", g.Read) })
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1_000; i++) g.Worker.Process(r.Pointer, r.Length);
                long delta = GC.GetAllocatedBytesForCurrentThread() - before;
                if (delta != 0) Console.WriteLine($"  round {round} {name}: {delta} bytes at {sw.ElapsedMilliseconds} ms");
            }
        }
    }
}
