using FastFuse.Session;
using System.Diagnostics;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>Item 10 of notes/posix-semantics.md: large directories list in linear time, and readdir offsets stay valid
/// while entries come and go.</summary>
public abstract class LargeDirectoryTests(FsKind kind, ITestOutputHelper output, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    [MountFact]
    public void HundredThousandEntries_CreateAndListInReasonableTime() // 20,000 on LoopbackFs, see below
    {
        // 20,000 on LoopbackFs: every create there is also a create on the source's ext4 and takes about twice as long
        // (100,000 took ~37 s next to the rest of the suite, more than a third of its time budget).
        int N = IsLoopback ? 20_000 : 100_000;
        using var m = Mount(NoCache, sessionOptions: new Session.SessionOptions { Threads = 2 });
        Assert.Equal(0, Err(mkdir(m["big"], 0x1ED)));
        string dir = m["big"] + "/";
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < N; i++)
        {
            int fd = open(dir + "f" + i.ToString("D6"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0x1A4);
            if (fd < 0) Assert.Fail($"create #{i}: {ErrName(LastErrno)}");
            close(fd);
        }
        var create = sw.Elapsed;
        Assert.True(create < TimeSpan.FromSeconds(90), $"creating {N} files took {create}");

        // A first listing of a tenth, then the whole: the whole must not cost far more than 10x (linear, not quadratic).
        sw.Restart();
        var all = ReadDir(m["big"], bufferSize: 1 << 16);
        var listAll = sw.Elapsed;
        var names = all.Select(e => e.Name).Where(n => n is not "." and not "..").ToList();
        Assert.Equal(N, names.Count);
        Assert.Equal(N, names.Distinct().Count());
        Assert.All(all.Where(e => e.Name is not "." and not ".."), e => Assert.Equal(DT_REG, e.Type));
        Assert.True(listAll < TimeSpan.FromSeconds(30), $"listing {N} entries took {listAll}");

        // Resuming a listing deep inside costs the same as at the start: time 100 getdents calls at the end.
        int fd2 = Open(m["big"], O_RDONLY | O_DIRECTORY);
        try
        {
            var firstBatch = Stopwatch.StartNew();
            for (int i = 0; i < 20; i++) GetDents(fd2, 4096);
            var early = firstBatch.Elapsed;
            Assert.NotEqual(-1, lseek(fd2, all[^200].Off, SEEK_SET)); // jump near the end by cookie
            var late = Stopwatch.StartNew();
            var tail = new List<Dirent>();
            for (int i = 0; i < 20; i++) tail.AddRange(GetDents(fd2, 4096));
            Assert.Equal(all.Skip(all.Count - 199).Select(e => e.Name), tail.Select(e => e.Name));
            output.WriteLine($"create {create.TotalSeconds:F1}s, list {listAll.TotalSeconds:F2}s, 20 getdents early {early.TotalMilliseconds:F1} ms / late {late.Elapsed.TotalMilliseconds:F1} ms");
        }
        finally { close(fd2); }
        Assert.Equal(0, Stat(dir + "f" + (N - 1).ToString("D6")).Size);
    }

    [MountFact]
    public void ReaddirOffsetsStayValid_WhileEntriesAreAddedAndRemoved()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        var stable = new HashSet<string>();
        var churn = new List<string>();
        for (int i = 0; i < 3000; i++)
        {
            string name = (i % 3 == 0 ? "churn" : "keep") + i.ToString("D5");
            Touch(m["d/" + name]);
            if (i % 3 == 0) churn.Add(name); else stable.Add(name);
        }
        int fd = Open(m["d"], O_RDONLY | O_DIRECTORY);
        var seen = new List<string>();
        int added = 0, round = 0;
        try
        {
            while (true)
            {
                var batch = GetDents(fd, 2048); // a small buffer: many READDIR calls, each resuming at an offset
                if (batch.Count == 0) break;
                seen.AddRange(batch.Select(e => e.Name));
                // Between calls (during the first 40): remove some churn entries (before and after the position)
                // and add new ones. Then stop, or a listing that has caught up would keep finding the new ones.
                Assert.True(round < 10_000, "the listing does not end");
                if (round >= 40) { round++; continue; }
                for (int k = 0; k < 20 && churn.Count > 0; k++)
                {
                    int idx = (round * 37 + k * 101) % churn.Count;
                    Assert.Equal(0, Err(unlink(m["d/" + churn[idx]])));
                    churn.RemoveAt(idx);
                }
                for (int k = 0; k < 10; k++) Touch(m[$"d/new{added++:D5}"]);
                round++;
            }
        }
        finally { close(fd); }
        Assert.True(round > 20, "the listing must have been resumed many times");
        var counts = seen.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(counts.Count == 0, $"listed twice: {string.Join(", ", counts.Take(10))}");
        var missing = stable.Where(n => !seen.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"never listed although present throughout: {string.Join(", ", missing.Take(10))}");
        Assert.Contains(".", seen);
        Assert.Contains("..", seen);
    }
}

public sealed class LargeDirectoryTests_MemFs(ITestOutputHelper output) : LargeDirectoryTests(FsKind.MemFs, output);
public sealed class LargeDirectoryTests_Loopback(ITestOutputHelper output) : LargeDirectoryTests(FsKind.Loopback, output);

public sealed class LargeDirectoryTests_MemFs_FuseUring(ITestOutputHelper output) : LargeDirectoryTests(FsKind.MemFs, output, TransportKind.FuseUring);
public sealed class LargeDirectoryTests_MemFs_Uring(ITestOutputHelper output) : LargeDirectoryTests(FsKind.MemFs, output, TransportKind.Uring);
public sealed class LargeDirectoryTests_Loopback_FuseUring(ITestOutputHelper output) : LargeDirectoryTests(FsKind.Loopback, output, TransportKind.FuseUring);
public sealed class LargeDirectoryTests_Loopback_Uring(ITestOutputHelper output) : LargeDirectoryTests(FsKind.Loopback, output, TransportKind.Uring);
