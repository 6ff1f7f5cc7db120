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
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
