using System.Diagnostics;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Cli;

/// <summary>
/// What `fastfuse memfs` costs the machine in memory, seen from outside the daemon (/proc/PID of the real binary):
/// deleted files give their memory back, and new data is written into huge pages rather than one page fault per
/// 4 KiB (each ~12 µs on this VM: what made writing new data run at a tenth of the speed of rewriting it).
/// </summary>
public sealed class MemFsMemoryTests
{
    private const int MiB = 1 << 20;

    private static FastFuseProcess StartMemfs(TempMountpoint mnt)
    {
        var p = FastFuseProcess.Start("memfs", mnt.Path, "-f");
        if (!Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, TimeSpan.FromSeconds(20)) || !Mounts.IsMounted(mnt.Path))
        {
            string output = p.AllOutput;
            p.Dispose();
            throw new Xunit.Sdk.XunitException($"memfs did not mount at {mnt.Path}\n{output}");
        }
        return p;
    }

    private static long StatusKiB(int pid, string field)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        throw new InvalidOperationException($"no {field} in /proc/{pid}/status");
    }

    private static long RssMiB(int pid) => StatusKiB(pid, "VmRSS") / 1024;

    /// <summary>Minor page faults of <paramref name="pid"/> so far (field 10 of /proc/PID/stat).</summary>
    private static long MinorFaults(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]); // fields after "pid (comm) ": state=0 … minflt=7
    }

    /// <summary>A new file of <paramref name="mib"/> MiB written in 1 MiB pwrites, as dd bs=1M does.</summary>
    private static void WriteNew(string path, int mib)
    {
        var data = new byte[MiB];
        new Random(mib).NextBytes(data);
        Mounts.Io(() =>
        {
            int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL);
            try
            {
                for (int i = 0; i < mib; i++) PwriteAll(fd, data, (long)i * MiB);
            }
            finally { close(fd); }
        }, $"writing {mib} MiB");
    }

    [MountFact]
    public void DeletingFiles_GivesTheMemoryBack_RoundAfterRound()
    {
        const int FileMiB = 256, Rounds = 3;
        // Freed memory the store may keep resident for reuse (2 × 16 MiB, ChunkArena.WarmLimit), and some slack for
        // the runtime's own buffers.
        const long Bound = 48;
        using var mnt = new TempMountpoint();
        using var p = StartMemfs(mnt);
        try
        {
            Mounts.Io(() => File.WriteAllText(mnt["warm-up"], "x"), "write");
            File.Delete(mnt["warm-up"]);
            long empty = RssMiB(p.Pid);
            var after = new List<long>();
            for (int r = 0; r < Rounds; r++)
            {
                WriteNew(mnt[$"f{r}"], FileMiB);
                long full = RssMiB(p.Pid);
                Assert.True(full >= empty + FileMiB * 3 / 4, $"round {r}: RSS {full} MiB with {FileMiB} MiB of data (empty: {empty} MiB): the data is not in the daemon?");
                File.Delete(mnt[$"f{r}"]);
                // The kernel releases the file asynchronously (RELEASE, then the last link is gone): poll.
                Mounts.WaitUntil(() => RssMiB(p.Pid) <= empty + Bound, TimeSpan.FromSeconds(5));
                long rss = RssMiB(p.Pid);
                after.Add(rss);
                Assert.True(rss <= empty + Bound,
                    $"round {r}: RSS {rss} MiB after deleting the {FileMiB} MiB file (empty memfs: {empty} MiB, full: {full} MiB); rounds so far: {string.Join(", ", after)}");
            }
            Assert.True(after[^1] <= after[0] + 16, $"RSS after each delete grows: {string.Join(", ", after)} MiB");
            Assert.Equal(0UL, Statfs(mnt.Path).Blocks - Statfs(mnt.Path).Bfree);  // and df says so too
        }
        finally
        {
            p.Signal(FastFuseProcess.SIGTERM);
            p.WaitForExit(TimeSpan.FromSeconds(20));
            Mounts.ForceUnmount(mnt.Path);
        }
    }

    [HugePagesFact]
    public void WritingANewFile_TakesAFewHugePageFaults_NotOnePer4KiB()
    {
        const int FileMiB = 256;
        const long PerSmallPage = FileMiB * (MiB / 4096L);          // 65,536: one fault per 4 KiB page
        using var mnt = new TempMountpoint();
        using var p = StartMemfs(mnt);
        try
        {
            Mounts.Io(() => File.WriteAllText(mnt["warm-up"], "x"), "write");
            long before = MinorFaults(p.Pid);
            var sw = Stopwatch.StartNew();
            WriteNew(mnt["big"], FileMiB);
            var took = sw.Elapsed;
            long faults = MinorFaults(p.Pid) - before;
            Assert.True(faults < PerSmallPage / 8,
                $"{faults} page faults in the daemon while {FileMiB} MiB of new data were written ({took.TotalMilliseconds:F0} ms); " +
                $"one per 4 KiB page would be {PerSmallPage}");
            Assert.Equal(FileMiB * (long)MiB, Stat(mnt["big"]).Size);
        }
        finally
        {
            p.Signal(FastFuseProcess.SIGTERM);
            p.WaitForExit(TimeSpan.FromSeconds(20));
            Mounts.ForceUnmount(mnt.Path);
        }
    }
}

/// <summary>A mount test that needs transparent huge pages (enabled "always" or "madvise").</summary>
public sealed class HugePagesFactAttribute : FactAttribute
{
    public HugePagesFactAttribute()
    {
        const string Thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (FuseAvailability.SkipReason is { } why) Skip = why;
        else if (!File.Exists(Thp) || File.ReadAllText(Thp).Contains("[never]")) Skip = $"transparent huge pages are off ({Thp})";
    }
}
