using BenchmarkDotNet.Running;

namespace FastFuse.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        // `alloc-check`: a quick console check of bytes allocated per dispatched request (no BenchmarkDotNet).
        if (args.Length > 0 && args[0] == "alloc-check")
        {
            AllocationCheck.Run(args.Length > 1 ? int.Parse(args[1]) : 100_000);
            return;
        }
        // `nodeapi-check [ROUNDS] [PER_ROUND]`: NodeApiBench's pairs interleaved (robust ratios on a busy machine).
        if (args.Length > 0 && args[0] == "nodeapi-check")
        {
            NodeApiCheck.Run(args.Length > 1 ? int.Parse(args[1]) : 21, args.Length > 2 ? int.Parse(args[2]) : 200_000);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
