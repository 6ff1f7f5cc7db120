using System.Diagnostics;

namespace FastFuse.Bench;

/// <summary>
/// <c>nodeapi-check</c>: <see cref="NodeApiBench"/>'s pairs measured interleaved, raw and node alternating round by
/// round, with the median of each and of the per-round ratios. On a machine whose load changes while a benchmark
/// runs (this shared 2-core VM: the same pair measured 1.41 and 0.98 in two BenchmarkDotNet runs, which measure one
/// method after the other), alternating keeps both sides under the same load. Also counts the bytes allocated.
/// </summary>
public static unsafe class NodeApiCheck
{
    public static void Run(int rounds, int perRound)
    {
        using var raw = new TreeFixture(new RawTreeFs());
        using var node = new TreeFixture(NodeTree.Make());
        Console.WriteLine($"{"opcode",-8} {"raw ns/op",10} {"node ns/op",11} {"node/raw",9} {"node B/op",10}   ({rounds} alternating rounds of {perRound:N0})");
        foreach (var (name, r, n) in new[] { ("GETATTR", raw.Getattr, node.Getattr), ("LOOKUP", raw.Lookup, node.Lookup),
                     ("READ 4K", raw.Read, node.Read), ("READDIR", raw.Readdir, node.Readdir) })
        {
            int count = name == "READDIR" ? perRound / 10 : perRound;
            Time(raw, r, count);                                   // warm-up: tier-1 code on both sides
            Time(node, n, count);
            var rawNs = new List<double>();
            var nodeNs = new List<double>();
            var ratios = new List<double>();
            long allocated = 0;
            for (int i = 0; i < rounds; i++)
            {
                double a = Time(raw, r, count);
                long before = GC.GetAllocatedBytesForCurrentThread();
                double b = Time(node, n, count);
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                rawNs.Add(a);
                nodeNs.Add(b);
                ratios.Add(b / a);
            }
            Console.WriteLine($"{name,-8} {Median(rawNs),10:F1} {Median(nodeNs),11:F1} {Median(ratios),9:F2} {allocated / (double)(rounds * count),10:F3}");
        }
    }

    private static double Time(TreeFixture f, NativeRequest r, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++) f.Run(r);
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / count;
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }
}
