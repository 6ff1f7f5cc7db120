using FastFuse.Mounting;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Cli;

/// <summary>
/// Every option the parser accepts (<see cref="MountOptions.Accepted"/>) has an effect, proved through the fastfuse
/// program: each check mounts with the option and, where the point is a difference, without it, and observes what a
/// user would see (the mount table, stat, statfs, the request counts of <c>--stats</c>, what another user may do).
/// An option added to the parser without a check here fails <see cref="EveryAcceptedOption_HasACheck"/>.
/// </summary>
public sealed class MountOptionEffectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>A fastfuse daemon in the foreground with --stats (its mount point, its source for loopback).</summary>
    private sealed class Daemon : IDisposable
    {
        public readonly TempMountpoint Mnt = new();
        public readonly string? Source;
        public readonly FastFuseProcess P;
        private bool _stopped;

        public Daemon(string fs, string options, params string[] extra)
        {
            var args = new List<string>();
            chmod(Mnt.Root, 0x1ED);   // another user must reach the mount point for allow_other to mean anything
            if (fs == "loopback")
            {
                Source = Path.Combine(Mnt.Root, "src");
                Directory.CreateDirectory(Source);
                args.AddRange(["loopback", Source]);
            }
            else args.Add(fs);
            args.AddRange([Mnt.Path, "-f", "--stats"]);
            if (options.Length > 0) args.AddRange(["-o", options]);
            args.AddRange(extra);
            P = FastFuseProcess.Start(args.ToArray());
            if (!Mounts.WaitUntil(() => Mounts.IsMounted(Mnt.Path) || P.HasExited, Wait) || !Mounts.IsMounted(Mnt.Path))
                throw new Xunit.Sdk.XunitException($"fastfuse {string.Join(' ', args)} did not mount\n{P.AllOutput}");
            // Serving: the first stat waits for INIT to be answered, and the daemon's signal handlers are in place by then.
            TryStat(Mnt.Path, out _);
        }

        public string this[string rel] => Path.Combine(Mnt.Path, rel);

        /// <summary>The per-mount and superblock options, the source and the type mountinfo shows.</summary>
        public (HashSet<string> Options, string Source, string Type) Shown()
        {
            foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
            {
                var f = line.Split(' ');
                int dash = Array.IndexOf(f, "-");
                if (f.Length > 5 && f[4] == Mnt.Path && dash > 0 && dash + 3 < f.Length)
                    return (f[5].Split(',').Concat(f[dash + 3].Split(',')).ToHashSet(), f[dash + 2], f[dash + 1]);
            }
            throw new Xunit.Sdk.XunitException($"{Mnt.Path} is not in mountinfo");
        }

        /// <summary>SIGINT, wait for the exit; the --stats output.</summary>
        public List<string> Stop()
        {
            _stopped = true;
            P.Signal(FastFuseProcess.SIGINT);
            Assert.True(P.WaitForExit(Wait), "fastfuse did not exit after SIGINT\n" + P.AllOutput);
            return P.Stdout;
        }

        public void Dispose()
        {
            if (!_stopped && !P.HasExited) Stop();
            Mounts.ForceUnmount(Mnt.Path);
            P.Dispose();
            Mnt.Dispose();
        }
    }

    /// <summary>Requests of <paramref name="opcode"/> in --stats output.</summary>
    private static long Count(List<string> stats, string opcode)
    {
        var line = stats.FirstOrDefault(l => l.StartsWith(opcode + " ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>Mount, run <paramref name="act"/> on it, stop: the --stats output.</summary>
    private static List<string> Stats(string fs, string options, Action<Daemon> act)
    {
        using var d = new Daemon(fs, options);
        act(d);
        return d.Stop();
    }

    private static HashSet<string> Shown(string options, string fs = "memfs")
    {
        using var d = new Daemon(fs, options);
        return d.Shown().Options;
    }

    /// <summary><paramref name="flag"/> shows in mountinfo with <paramref name="with"/> and not with <paramref name="without"/>.</summary>
    private static void ShowsFlag(string with, string without, string flag, bool present = true)
    {
        Assert.Equal(present, Shown(with).Contains(flag));
        Assert.Equal(!present, Shown(without).Contains(flag));
    }

    private static void StatMany(Daemon d, string rel, int n)
    {
        for (int i = 0; i < n; i++) TryStat(d[rel], out _);
    }

    private static void WriteSmall(Daemon d, string rel, int n)
    {
        using var f = new FileStream(d[rel], FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1);
        for (int i = 0; i < n; i++) { f.Write("0123456789"u8); f.Flush(); }
    }

    private static void ReadReopened(Daemon d, string rel, int n)
    {
        for (int i = 0; i < n; i++) File.ReadAllBytes(d[rel]);
    }

    /// <summary>Run a command as uid/gid 65534 (setpriv by its full path: the tests do not depend on PATH).</summary>
    private static int AsNobody(params string[] command) =>
        Command.Run("/usr/bin/setpriv", new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--" }.Concat(command), Wait).ExitCode;

    private static readonly Dictionary<string, Action> Checks = new(StringComparer.Ordinal)
    {
        ["allow_other"] = () =>
        {
            using var d = new Daemon("memfs", "allow_other");
            Assert.Contains("allow_other", d.Shown().Options);
            Assert.Equal(0, AsNobody("/usr/bin/stat", d.Mnt.Path));
            using var e = new Daemon("memfs", "");
            Assert.NotEqual(0, AsNobody("/usr/bin/stat", e.Mnt.Path));
        },
        ["allow_root"] = () =>
        {
            // The kernel lets everyone in; the daemon refuses everyone but its user and root (EACCES).
            using var d = new Daemon("memfs", "allow_root");
            Assert.Contains("allow_other", d.Shown().Options);
            File.WriteAllText(d["f"], "x");
            Assert.NotEqual(0, AsNobody("/usr/bin/stat", d["f"]));
            Assert.Equal(0, TryStat(d["f"], out _));
        },
        ["default_permissions"] = () => ShowsFlag("default_permissions", "", "default_permissions"),
        ["ro"] = () => ShowsFlag("ro", "", "ro"),
        ["rw"] = () => ShowsFlag("ro,rw", "ro", "ro", present: false),
        ["fsname"] = () =>
        {
            using var d = new Daemon("memfs", "fsname=effect-test");
            Assert.Equal("effect-test", d.Shown().Source);
        },
        ["subtype"] = () =>
        {
            using var d = new Daemon("memfs", "subtype=effecttype");
            Assert.Equal("fuse.effecttype", d.Shown().Type);
        },
        ["max_read"] = () => Assert.Contains("max_read=8192", Shown("max_read=8192")),
        ["entry_timeout"] = () =>
        {
            Action<Daemon> act = d => { File.WriteAllText(d["f"], "x"); StatMany(d, "f", 20); };
            Assert.True(Count(Stats("memfs", "entry_timeout=60", act), "LOOKUP") < Count(Stats("memfs", "entry_timeout=0", act), "LOOKUP") - 10);
        },
        ["attr_timeout"] = () =>
        {
            Action<Daemon> act = d => { File.WriteAllText(d["f"], "x"); StatMany(d, "f", 20); };
            Assert.True(Count(Stats("memfs", "attr_timeout=60", act), "GETATTR") < Count(Stats("memfs", "attr_timeout=0", act), "GETATTR") - 10);
        },
        ["negative_timeout"] = () =>
        {
            Action<Daemon> act = d => StatMany(d, "missing", 20);
            Assert.True(Count(Stats("memfs", "negative_timeout=60", act), "LOOKUP") < Count(Stats("memfs", "negative_timeout=0", act), "LOOKUP") - 10);
        },
        ["direct_io"] = () =>
        {
            Action<Daemon> act = d => { File.WriteAllBytes(d["f"], new byte[4096]); ReadReopened(d, "f", 10); };
            Assert.True(Count(Stats("memfs", "direct_io", act), "READ") >= 10);
            Assert.True(Count(Stats("memfs", "", act), "READ") < 10);
        },
        ["passthrough"] = () =>
        {
            Action<Daemon> act = d => { File.WriteAllBytes(d["f"], new byte[65536]); ReadReopened(d, "f", 5); };
            Assert.Equal(0, Count(Stats("loopback", "passthrough,direct_io", act), "READ"));
            Assert.True(Count(Stats("loopback", "direct_io", act), "READ") >= 5);
        },
        ["no_splice_read"] = () =>
        {
            Action<Daemon> act = d => { File.WriteAllBytes(d["f"], new byte[65536]); ReadReopened(d, "f", 5); };
            Assert.DoesNotContain(Stats("loopback", "transport=devfuse,no_splice_read", act), l => l.StartsWith("splice: spliced=", StringComparison.Ordinal) && !l.StartsWith("splice: spliced=0 ", StringComparison.Ordinal));
            Assert.Contains(Stats("loopback", "transport=devfuse", act), l => l.StartsWith("splice: spliced=", StringComparison.Ordinal) && !l.StartsWith("splice: spliced=0 ", StringComparison.Ordinal));
        },
        ["writeback_cache"] = () =>
        {
            // 100 small writes: with writeback caching they reach the filesystem as a few large ones.
            Action<Daemon> act = d => WriteSmall(d, "f", 100);
            var with = Stats("memfs", "writeback_cache", act);
            Assert.Contains(with, l => l.StartsWith("init: ", StringComparison.Ordinal) && l.Contains("WritebackCache"));
            Assert.True(Count(with, "WRITE") < 10, $"{Count(with, "WRITE")} WRITEs");
            Assert.True(Count(Stats("memfs", "", act), "WRITE") >= 100);
        },
        ["no_writeback_cache"] = () => Assert.True(Count(Stats("memfs", "writeback_cache,no_writeback_cache", d => WriteSmall(d, "f", 100)), "WRITE") >= 100),
        ["kernel_cache"] = () =>
        {
            // strictatime: without kernel_cache every open drops the cache (a read must reach MemFs to set atime).
            Action<Daemon> act = d => { File.WriteAllBytes(d["f"], new byte[4096]); ReadReopened(d, "f", 10); };
            Assert.True(Count(Stats("memfs", "strictatime,kernel_cache", act), "READ") <= 1);
            Assert.True(Count(Stats("memfs", "strictatime", act), "READ") >= 10);
        },
        ["auto_cache"] = () =>
        {
            Action<Daemon> act = d =>
            {
                File.WriteAllBytes(d["f"], new byte[4096]);
                ReadReopened(d, "f", 10);
                File.WriteAllBytes(Path.Combine(d.Source!, "f"), new byte[8192]);   // changed on the source
                Assert.Equal(8192, File.ReadAllBytes(d["f"]).Length);
            };
            var with = Stats("loopback", "auto_cache,attr_timeout=0", act);
            Assert.InRange(Count(with, "READ"), 2, 5);                               // the first open, and after the change
            Assert.True(Count(Stats("loopback", "attr_timeout=0", act), "READ") >= 11);
        },
        ["transport"] = () =>
        {
            Assert.Contains("transport: uring", Stats("memfs", "transport=uring", _ => { }));
            Assert.Contains("transport: devfuse", Stats("memfs", "transport=devfuse", _ => { }));
        },
        ["uring_depth"] = () =>
        {
            Assert.Contains("depth: 3 requests in flight per loop", Stats("memfs", "transport=uring,uring_depth=3", _ => { }));
            Assert.Contains("depth: 1 requests in flight per loop", Stats("memfs", "transport=uring", _ => { }));
        },
        ["fusermount"] = () =>
        {
            using var d = new Daemon("memfs", "fusermount", "-d");
            Assert.True(Mounts.WaitUntil(() => d.P.Stderr.Any(l => l.Contains("through fusermount3")), Wait), d.P.AllOutput);
            using var e = new Daemon("memfs", "", "-d");
            Assert.True(Mounts.WaitUntil(() => e.P.Stderr.Any(l => l.Contains("by mount(2)")), Wait), e.P.AllOutput);
        },
        ["lazy_umount"] = () =>
        {
            // A busy mount: without lazy_umount SIGINT first tries a plain unmount, is told EBUSY and says so.
            foreach (bool lazy in new[] { true, false })
            {
                using var d = new Daemon("memfs", lazy ? "lazy_umount" : "");
                int fd = Open(d["held"], O_RDWR | O_CREAT, 0x1A4);
                try
                {
                    d.P.Signal(FastFuseProcess.SIGINT);
                    Assert.True(Mounts.WaitUntil(() => !Mounts.IsMounted(d.Mnt.Path), Wait), "not detached\n" + d.P.AllOutput);
                }
                finally { close(fd); }   // the connection ends, and the daemon exits, once the last file is closed
                Assert.True(d.P.WaitForExit(Wait), d.P.AllOutput);
                Assert.Equal(!lazy, d.P.Stderr.Any(l => l.Contains("is busy; detaching it lazily")));
            }
        },
        ["debug"] = () =>
        {
            using var d = new Daemon("memfs", "debug");
            TryStat(d["x"], out _);
            Assert.True(Mounts.WaitUntil(() => d.P.Stderr.Any(l => l.Contains("rx ") && l.Contains("LOOKUP")), Wait), d.P.AllOutput);
        },
        ["auto_unmount"] = () =>
        {
            foreach (bool auto in new[] { true, false })
            {
                using var d = new Daemon("memfs", auto ? "auto_unmount" : "");
                FastFuseProcess.Kill(d.P.Pid, 9);
                Assert.True(d.P.WaitForExit(Wait));
                bool gone = Mounts.WaitUntil(() => !Mounts.IsMounted(d.Mnt.Path), TimeSpan.FromSeconds(auto ? 20 : 2));
                Assert.Equal(auto, gone);
            }
        },
        ["nosuid"] = () => ShowsFlag("suid,nosuid", "suid", "nosuid"),
        ["suid"] = () => ShowsFlag("suid", "", "nosuid", present: false),
        ["nodev"] = () => ShowsFlag("dev,nodev", "dev", "nodev"),
        ["dev"] = () => ShowsFlag("dev", "", "nodev", present: false),
        ["noexec"] = () => ShowsFlag("noexec", "", "noexec"),
        ["exec"] = () => ShowsFlag("noexec,exec", "noexec", "noexec", present: false),
        ["noatime"] = () => ShowsFlag("noatime", "", "noatime"),
        ["atime"] = () => ShowsFlag("noatime,atime", "noatime", "noatime", present: false),
        ["nodiratime"] = () => ShowsFlag("nodiratime", "", "nodiratime"),
        ["relatime"] = () => ShowsFlag("strictatime,relatime", "strictatime", "relatime"),
        ["norelatime"] = () => ShowsFlag("norelatime", "", "relatime", present: false),
        ["strictatime"] = () => ShowsFlag("relatime,strictatime", "relatime", "relatime", present: false),
        ["sync"] = () => ShowsFlag("sync", "", "sync"),
        ["async"] = () => ShowsFlag("sync,async", "sync", "sync", present: false),
        ["dirsync"] = () => ShowsFlag("dirsync", "", "dirsync"),
        ["lazytime"] = () => ShowsFlag("lazytime", "", "lazytime"),
        ["size"] = () =>
        {
            using var d = new Daemon("memfs", "size=1m");
            var st = Statfs(d.Mnt.Path);
            Assert.Equal(1UL << 20, st.Blocks * (ulong)st.Bsize);
            Assert.Equal(FastFuse.Kernel.Errno.ENOSPC, WriteZeros(d["big"], 2 << 20));
        },
        ["nr_inodes"] = () =>
        {
            using var d = new Daemon("memfs", "nr_inodes=5");
            Assert.Equal(5UL, Statfs(d.Mnt.Path).Files);
        },
    };

    /// <summary>Write <paramref name="bytes"/> zeros; 0 or the errno of the write that failed.</summary>
    private static unsafe int WriteZeros(string path, int bytes)
    {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0x1A4);
        if (fd < 0) return LastErrno;
        try
        {
            var buf = new byte[65536];
            fixed (byte* b = buf)
                for (int done = 0; done < bytes; done += buf.Length)
                    if (write(fd, b, (nuint)buf.Length) < 0) return LastErrno;
            return 0;
        }
        finally { close(fd); }
    }

    public static IEnumerable<object[]> Options() => MountOptions.Accepted.Order().Select(o => new object[] { o });

    [Fact]
    public void EveryAcceptedOption_HasACheck()
    {
        Assert.Equal(MountOptions.Accepted.Order().ToList(), Checks.Keys.Order().ToList());
    }

    [MountTheory]
    [MemberData(nameof(Options))]
    public void Option_HasTheEffectItPromises(string option) => Checks[option]();
}
