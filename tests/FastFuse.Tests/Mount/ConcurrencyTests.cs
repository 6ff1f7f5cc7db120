using FastFuse.Session;
using System.Collections.Concurrent;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>8 threads × 1,000 mixed operations at once on one mount; each thread keeps a ledger of what it expects.</summary>
public abstract class ConcurrencyTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const int Threads = 8, OpsPerThread = 1000, Contested = 50;

    private sealed class Ledger
    {
        public readonly Dictionary<string, byte[]> Files = new();   // relative path → content (own dir and shared/)
        public readonly HashSet<string> Dirs = new();                // relative path of own subdirectories
        public readonly List<string> Winners = new();                // contested names this thread created
        public int Counter;
    }

    [MountFact]
    public void EightThreadsOfMixedOperations_LeaveExactlyTheTreeTheLedgersExpect()
    {
        using var m = Mount(NoCache, sessionOptions: new Session.SessionOptions { Threads = 4 });
        Assert.Equal(0, Err(mkdir(m["shared"], 0x1FF)));
        for (int t = 0; t < Threads; t++) Assert.Equal(0, Err(mkdir(m[$"t{t}"], 0x1ED)));
        var ledgers = Enumerable.Range(0, Threads).Select(_ => new Ledger()).ToArray();
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                Run(m, t, ledgers[t]);
            }
            catch (Exception e)
            {
                errors.Enqueue($"thread {t}: {e}");
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromSeconds(120)), "a worker thread hung");
        Assert.True(errors.IsEmpty, string.Join("\n", errors));

        // Each contested name was created by exactly one thread.
        var winners = ledgers.SelectMany(l => l.Winners).ToList();
        Assert.Equal(Contested, winners.Count);
        Assert.Equal(Contested, winners.Distinct().Count());

        // The tree is exactly the union of the ledgers.
        var expectedFiles = ledgers.SelectMany(l => l.Files).ToDictionary(kv => kv.Key, kv => kv.Value);
        var expectedDirs = new HashSet<string>(ledgers.SelectMany(l => l.Dirs));
        for (int t = 0; t < Threads; t++) expectedDirs.Add($"t{t}");
        expectedDirs.Add("shared");
        foreach (var w in winners) expectedFiles[w] = Array.Empty<byte>();

        var actualFiles = new Dictionary<string, byte[]>();
        var actualDirs = new HashSet<string>();
        void Walk(string rel)
        {
            foreach (var e in ReadDir(rel.Length == 0 ? m.Path : m[rel]))
            {
                if (e.Name is "." or "..") continue;
                string p = rel.Length == 0 ? e.Name : rel + "/" + e.Name;
                if (e.Type == DT_DIR) { actualDirs.Add(p); Walk(p); }
                else actualFiles[p] = ReadFile(m[p]);
            }
        }
        Walk("");
        Assert.Equal(expectedDirs.Order(StringComparer.Ordinal), actualDirs.Order(StringComparer.Ordinal));
        Assert.Equal(expectedFiles.Keys.Order(StringComparer.Ordinal), actualFiles.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, content) in expectedFiles)
            Assert.True(content.AsSpan().SequenceEqual(actualFiles[path]), $"content of {path}");
        Assert.Equal((uint)(2 + expectedDirs.Count(d => !d.Contains('/'))), Stat(m.Path).Nlink);
    }

    private static void Run(MountedFs m, int t, Ledger l)
    {
        var rng = new Random(1000 + t);
        string own = $"t{t}";
        for (int op = 0; op < OpsPerThread; op++)
        {
            var files = l.Files.Keys.ToList();
            int kind = rng.Next(10);
            if (op % 20 == 0)
            {
                // Contested: every thread races for the same names; exactly one O_EXCL create wins.
                string name = $"shared/contested{op / 20 % Contested:D3}";
                int fd = open(m[name], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0x1A4);
                if (fd >= 0) { close(fd); l.Winners.Add(name); }
                else if (LastErrno != Errno.EEXIST) throw new PosixException($"contested create {name}", LastErrno);
                continue;
            }
            switch (kind)
            {
                case 0:
                case 1: // create and write, in the own directory, a subdirectory or shared/
                {
                    string parent = rng.Next(4) switch
                    {
                        0 => "shared",
                        1 when l.Dirs.Count > 0 => l.Dirs.ElementAt(rng.Next(l.Dirs.Count)),
                        _ => own,
                    };
                    string path = $"{parent}/{own}-f{l.Counter++}";
                    var data = Random(rng.Next(0, 20_000), rng.Next());
                    WriteFile(m[path], data);
                    l.Files[path] = data;
                    break;
                }
                case 2 when files.Count > 0: // read and verify
                {
                    string path = files[rng.Next(files.Count)];
                    var back = ReadFile(m[path]);
                    if (!back.AsSpan().SequenceEqual(l.Files[path])) throw new InvalidOperationException($"{path}: content differs");
                    break;
                }
                case 3 when files.Count > 0: // stat
                {
                    string path = files[rng.Next(files.Count)];
                    var st = Stat(m[path]);
                    if (st.Size != l.Files[path].Length || st.Type != S_IFREG) throw new InvalidOperationException($"{path}: stat {st}");
                    break;
                }
                case 4 when files.Count > 0: // rename, possibly between directories
                {
                    string from = files[rng.Next(files.Count)];
                    string parent = rng.Next(2) == 0 ? "shared" : own;
                    string to = $"{parent}/{own}-r{l.Counter++}";
                    if (rename(m[from], m[to]) != 0) throw new PosixException($"rename {from} {to}", LastErrno);
                    l.Files[to] = l.Files[from];
                    l.Files.Remove(from);
                    break;
                }
                case 5 when files.Count > 0: // unlink
                {
                    string path = files[rng.Next(files.Count)];
                    if (unlink(m[path]) != 0) throw new PosixException($"unlink {path}", LastErrno);
                    l.Files.Remove(path);
                    break;
                }
                case 6: // mkdir (own subdirectories only one level deep)
                {
                    string path = $"{own}/d{l.Counter++}";
                    if (mkdir(m[path], 0x1ED) != 0) throw new PosixException($"mkdir {path}", LastErrno);
                    l.Dirs.Add(path);
                    break;
                }
                case 7: // readdir of the own directory: exactly what the ledger says
                {
                    var names = ReadDir(m[own]).Select(e => e.Name).Where(n => n is not "." and not "..").Order(StringComparer.Ordinal);
                    var expected = l.Files.Keys.Concat(l.Dirs).Where(p => p.StartsWith(own + "/", StringComparison.Ordinal) && p.Count(c => c == '/') == 1)
                        .Select(p => p[(own.Length + 1)..]).Order(StringComparer.Ordinal);
                    if (!names.SequenceEqual(expected)) throw new InvalidOperationException($"{own} listing differs from the ledger");
                    break;
                }
                case 8: // readdir of the shared directory: my entries are all there
                {
                    var names = ReadDir(m["shared"]).Select(e => "shared/" + e.Name).ToHashSet();
                    foreach (var p in l.Files.Keys.Where(p => p.StartsWith("shared/", StringComparison.Ordinal)))
                        if (!names.Contains(p)) throw new InvalidOperationException($"{p} missing from shared listing");
                    break;
                }
                case 9 when l.Dirs.Count > 0: // rmdir an empty subdirectory, or expect ENOTEMPTY
                {
                    string dir = l.Dirs.ElementAt(rng.Next(l.Dirs.Count));
                    bool empty = !l.Files.Keys.Any(p => p.StartsWith(dir + "/", StringComparison.Ordinal));
                    int rc = rmdir(m[dir]) == 0 ? 0 : LastErrno;
                    if (empty && rc != 0) throw new PosixException($"rmdir {dir}", rc);
                    if (!empty && rc != Errno.ENOTEMPTY) throw new InvalidOperationException($"rmdir {dir}: {ErrName(rc)}, expected ENOTEMPTY");
                    if (empty) l.Dirs.Remove(dir);
                    break;
                }
                default: // a case whose precondition did not hold: stat the own directory
                    Stat(m[own]);
                    break;
            }
        }
    }
}

public sealed class ConcurrencyTests_MemFs() : ConcurrencyTests(FsKind.MemFs);
public sealed class ConcurrencyTests_Loopback() : ConcurrencyTests(FsKind.Loopback);

public sealed class ConcurrencyTests_MemFs_FuseUring() : ConcurrencyTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class ConcurrencyTests_MemFs_Uring() : ConcurrencyTests(FsKind.MemFs, TransportKind.Uring);
public sealed class ConcurrencyTests_Loopback_FuseUring() : ConcurrencyTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class ConcurrencyTests_Loopback_Uring() : ConcurrencyTests(FsKind.Loopback, TransportKind.Uring);
