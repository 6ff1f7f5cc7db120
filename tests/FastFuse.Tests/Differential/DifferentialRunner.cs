using System.Diagnostics;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Differential;

/// <summary>What a run found.</summary>
public sealed record DiffReport(int Ops, int Snapshots, List<string> Differences, int TotalDifferences, TimeSpan Elapsed, Dictionary<OpKind, int> OkCounts, Dictionary<OpKind, int> Counts, Dictionary<string, int> DifferencesBy)
{
    public const int MessageCap = 50;

    public string Summary(string name) =>
        $"{name}: {Ops} ops, {Snapshots} tree comparisons, {TotalDifferences} differences" +
        (DifferencesBy.Count == 0 ? "" : " (" + string.Join(", ", DifferencesBy.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")) + ")") +
        $", {Elapsed.TotalSeconds:F1} s; " +
        "per op (succeeded/issued): " + string.Join(", ", Counts.OrderBy(k => k.Key).Select(k => $"{k.Key} {OkCounts.GetValueOrDefault(k.Key)}/{k.Value}"));

    public string Message(string name) =>
        Summary(name) + Environment.NewLine + string.Join(Environment.NewLine, Differences.Take(MessageCap)) +
        (TotalDifferences > MessageCap ? $"{Environment.NewLine}... and {TotalDifferences - MessageCap} more" : "");
}

/// <summary>
/// Runs one seeded op stream against a reference directory and a tested tree (a mount), op by op: each op goes
/// to the reference first, then to the tested tree; their outcomes (result or errno, and timestamp effects) must
/// be equal. Every <see cref="SnapshotEvery"/> ops and at the end the two whole trees are compared too. Every
/// difference is collected (with the op index and description), not only the first.
/// </summary>
public sealed class DifferentialRunner(string referenceRoot, string testedRoot, int seed)
{
    public int SnapshotEvery { get; init; } = 1000;
    /// <summary>The tested tree caches writes in the kernel (writeback_cache): see <see cref="TreeExecutor.OneOpPerClockTick"/>
    /// (the tested tree only). Also forgiven then: a truncate to the size the file has leaves mtime and ctime alone
    /// (the kernel's writeback mode sends no times for it, and it answers stat from its own), where ext4 stamps them.</summary>
    public bool OneOpPerClockTick { get; init; }
    /// <summary>Collected differences kept in full (the count goes on).</summary>
    public int KeepDifferences { get; init; } = 500;

    public DiffReport Run(int ops)
    {
        var sw = Stopwatch.StartNew();
        var reference = new TreeExecutor(referenceRoot);
        var tested = new TreeExecutor(testedRoot) { OneOpPerClockTick = OneOpPerClockTick };
        var diffs = new List<string>();
        int total = 0, snapshots = 0;
        var counts = new Dictionary<OpKind, int>();
        var okCounts = new Dictionary<OpKind, int>();
        var by = new Dictionary<string, int>();
        void Add(string category, string d)
        {
            total++;
            by[category] = by.GetValueOrDefault(category) + 1;
            if (diffs.Count < KeepDifferences) diffs.Add(d);
        }

        // The namespace lives under "t" in both trees (see OpGenerator for why).
        if (mkdir(reference.Map(OpGenerator.Top), 0x1ED) < 0 || mkdir(tested.Map(OpGenerator.Top), 0x1ED) < 0)
            throw new InvalidOperationException($"mkdir {OpGenerator.Top}: {ErrName(LastErrno)}");

        var gen = new OpGenerator(seed, rel => TryStat(reference.Map(rel), out var st, nofollow: true) == 0 ? st.Type : 0);
        for (int i = 0; i < ops; i++)
        {
            var op = gen.Next();
            var want = reference.Apply(op);
            var got = tested.Apply(op);
            counts[op.Kind] = counts.GetValueOrDefault(op.Kind) + 1;
            if (!want.Result.Contains('!'))
                okCounts[op.Kind] = okCounts.GetValueOrDefault(op.Kind) + 1;
            if (want.Result != got.Result) Add(op.Kind + " result", $"{op}: result: reference [{want.Result}] vs tested [{got.Result}]");
            else if (want.Effects != got.Effects && !(OneOpPerClockTick && want.Result == "OK same size")) Add(op.Kind + " effects", $"{op} (both {want.Result}): effects: reference [{want.Effects}] vs tested [{got.Effects}]");
            if ((i + 1) % SnapshotEvery == 0 || i == ops - 1)
            {
                snapshots++;
                foreach (var d in TreeSnapshot.Compare(TreeSnapshot.Take(referenceRoot), TreeSnapshot.Take(testedRoot)))
                    Add("tree", $"tree after op #{i}: {d}");
            }
        }
        return new DiffReport(ops, snapshots, diffs, total, sw.Elapsed, okCounts, counts, by);
    }
}
