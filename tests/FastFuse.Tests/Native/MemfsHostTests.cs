using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using FastFuse.Tests.Differential;
using FastFuse.Tests.Infrastructure;
using Xunit.Abstractions;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Native;

/// <summary>
/// native/examples/memfs.c, the C filesystem written in the asynchronous reply style (FASTFUSE_ASYNC,
/// fastfuse_reply_*; READ answered later from a thread of its own), built against the shared library and statically
/// against dist/lib/libfastfuse.a, mounted through the kernel and used with ordinary system calls: data of many
/// sizes, truncation, unlink of an open file, directories and their link counts, every rename rule, listings (also
/// while names come and go), symlinks, hard links, stat fields and timestamps, xattrs, statfs. At exit (SIGINT) memfs
/// prints how many READs the library counted and how many its reader thread answered: they must be the same.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed unsafe class MemfsHostTests(ITestOutputHelper output)
{
    internal static string Source => Path.Combine(NativeBuild.Repo, "native", "examples", "memfs.c");

    /// <summary>memfs.c against out/native/libfastfuse.so (-lfastfuse, rpath), with -Wall -Werror.</summary>
    internal static string BuildShared() => NativeBuild.CompileC(Source, "memfs");

    /// <summary>memfs.c against dist/lib/libfastfuse.a, from dist/'s header and .pc only, in a program with a shared libc.</summary>
    private static string BuildArchive()
    {
        string dir = Path.Combine(NativeBuild.OutDir, "tests");
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "memfs-archive");
        var (code, outp) = NativeBuild.Exec("/usr/bin/cc",
            ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread", .. DistTests.CFlags(), Source, .. DistTests.ArchiveLinkFlags(), "-o", exe],
            TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"cc memfs.c (archive):\n{outp}");
        return exe;
    }

    [DllImport("libc")] private static extern uint geteuid();
    [DllImport("libc")] private static extern uint getegid();

    [MountTheory]
    [InlineData("shared", "")]
    [InlineData("shared", "direct_io")]
    [InlineData("archive", "")]
    public void Memfs_ServesEverythingThroughTheKernel_AndAnswersReadsFromItsReaderThread(string how, string options)
    {
        string exe = how == "shared" ? BuildShared() : BuildArchive();
        var (_, ldd) = NativeBuild.Exec("/usr/bin/ldd", [exe], TimeSpan.FromSeconds(30));
        Assert.True(ldd.Contains("libfastfuse.so.", StringComparison.Ordinal) == (how == "shared"), $"ldd {exe}:\n{ldd}");

        using var m = new MemfsMount(exe, options);
        Exercise(m);
        var stats = m.Stop();
        output.WriteLine($"{how} {options}: {stats.Line}");
        Assert.True(stats.Reads >= (options.Contains("direct_io") ? 20 : 5), stats.Line);   // the reads below reached memfs
        Assert.True(stats.Queued == stats.Reads, "every READ was queued for the reader thread: " + stats.Line);
        Assert.True(stats.Answered == stats.Reads, "every READ was answered by the reader thread: " + stats.Line);
        Assert.True(stats.Failed == 0 && stats.Pending == 0, stats.Line);
    }

    /// <summary>The system calls, each checked against what Linux (ext4, tmpfs) answers.</summary>
    private static void Exercise(MemfsMount m)
    {
        string F(string n) => m.Path(n);
        var rnd = new Random(20261207);

        // ---- data: sizes around chunk (4 KiB) and request (128 KiB) boundaries, up to 3 MiB
        int[] sizes = [0, 1, 4095, 4096, 4097, 65536, 131072, 131073, 300_000, 1 << 20, 3 * (1 << 20) + 17];
        var contents = new Dictionary<int, byte[]>();
        foreach (int size in sizes)
        {
            var data = new byte[size];
            rnd.NextBytes(data);
            contents[size] = data;
            File.WriteAllBytes(F($"f{size}"), data);
        }
        foreach (int size in sizes)
        {
            Assert.Equal(size, new FileInfo(F($"f{size}")).Length);
            Assert.True(contents[size].AsSpan().SequenceEqual(File.ReadAllBytes(F($"f{size}"))), $"content of the {size}-byte file");
            Assert.Equal((size + 4095L) / 4096 * 8, Stat(F($"f{size}")).Blocks);   // 512-byte blocks of the 4 KiB chunks held
        }
        var big = contents[3 * (1 << 20) + 17];
        int fd = Open(F($"f{big.Length}"), O_RDONLY);
        try
        {
            // Single reads larger than 128 KiB, at unaligned offsets (with direct_io each is one READ of that size).
            foreach (var (off, len) in new[] { (12_345L, 300_001), (1L << 20, 1 << 20), (big.Length - 10L, 4096), (big.Length + 5L, 100) })
            {
                var buf = new byte[len];
                int n = PreadFull(fd, buf, off);
                int expect = (int)Math.Clamp(big.Length - off, 0, len);
                Assert.Equal(expect, n);
                Assert.True(buf.AsSpan(0, n).SequenceEqual(big.AsSpan((int)Math.Min(off, big.Length), n)), $"pread {len} at {off}");
            }
        }
        finally { close(fd); }

        // Overwrite inside a file, and a write far past its end: the hole between reads as zeros and holds no memory.
        fd = Open(F("f300000"), O_RDWR);
        try
        {
            PwriteAll(fd, "patch"u8, 5000);
            PwriteAll(fd, "tail"u8, 10_000_000);
            var st = Fstat(fd);
            Assert.Equal(10_000_004, st.Size);
            Assert.Equal((300_000 + 4095) / 4096 * 8 + 8, st.Blocks);
            var probe = new byte[8192];
            Assert.Equal(8192, PreadFull(fd, probe, 5_000_000));
            Assert.True(probe.All(b => b == 0), "a hole reads as zeros");
            Assert.Equal(9, PreadFull(fd, probe.AsSpan(0, 9), 4998));
            Assert.Equal(Encoding.ASCII.GetBytes("patch"), probe.AsSpan(2, 5).ToArray());
        }
        finally { close(fd); }

        // ---- truncate up and down (path and handle)
        File.WriteAllText(F("t"), "hello world");
        Assert.Equal(0, Err(truncate(F("t"), 100_000)));
        var grown = File.ReadAllBytes(F("t"));
        Assert.Equal(100_000, grown.Length);
        Assert.Equal("hello world", Encoding.ASCII.GetString(grown, 0, 11));
        Assert.True(grown.Skip(11).All(b => b == 0));
        Assert.Equal(0, Err(truncate(F("t"), 5)));
        Assert.Equal("hello", File.ReadAllText(F("t")));
        Assert.Equal(0, Err(truncate(F("t"), 20)));           // growing again shows zeros, not the old " world"
        Assert.Equal("hello" + new string('\0', 15), File.ReadAllText(F("t")));
        using (var s = new FileStream(F("t"), FileMode.Open, FileAccess.ReadWrite))
        {
            s.SetLength(3);                                   // ftruncate
            Assert.Equal(3, s.Length);
        }
        Assert.Equal("hel", File.ReadAllText(F("t")));
        Assert.Equal(0, Err(truncate(F("t"), 0)));
        Assert.Equal(0, Stat(F("t")).Blocks);
        Assert.Equal(EISDIR, Err(truncate(m.Root, 0)));

        // ---- unlink while open: the data lives until the last close
        using (var s = new FileStream(F("u"), FileMode.Create, FileAccess.ReadWrite))
        {
            s.Write("still here"u8);
            s.Flush();
            File.Delete(F("u"));
            Assert.False(File.Exists(F("u")));
            Assert.Equal(0u, Fstat((int)s.SafeFileHandle.DangerousGetHandle()).Nlink);
            s.Position = 0;
            var back = new byte[10];
            s.ReadExactly(back);
            Assert.Equal("still here", Encoding.ASCII.GetString(back));
            s.Write(" and more"u8);
            s.Position = 0;
            var all = new byte[19];
            s.ReadExactly(all);
            Assert.Equal("still here and more", Encoding.ASCII.GetString(all));
        }
        Assert.Equal(ENOENT, TryStat(F("u"), out _));

        // ---- directories: nlink = 2 + subdirectories; rmdir rules
        uint rootLinks = Stat(m.Root).Nlink;
        Assert.Equal(0, Err(mkdir(F("d"), 0x1ED)));
        Assert.Equal(2u, Stat(F("d")).Nlink);
        Assert.Equal(rootLinks + 1, Stat(m.Root).Nlink);
        Assert.Equal(EEXIST, Err(mkdir(F("d"), 0x1ED)));
        Assert.Equal(0, Err(mkdir(F("d/s1"), 0x1ED)));
        Assert.Equal(0, Err(mkdir(F("d/s2"), 0x1ED)));
        Touch(F("d/x"));
        Assert.Equal(4u, Stat(F("d")).Nlink);
        Assert.Equal(ENOTEMPTY, Err(rmdir(F("d"))));
        Assert.Equal(ENOTDIR, Err(rmdir(F("d/x"))));
        Assert.Equal(EISDIR, Err(unlink(F("d/s1"))));
        Assert.Equal(ENOENT, Err(rmdir(F("d/missing"))));
        Assert.Equal(0, Err(rmdir(F("d/s1"))));
        Assert.Equal(3u, Stat(F("d")).Nlink);
        Assert.Equal(ENOTDIR, Err(mkdir(F("d/x/y"), 0x1ED)));

        // ---- rename: plain, over a file, NOREPLACE, EXCHANGE, and the directory rules
        File.WriteAllText(F("a"), "A");
        ulong inoA = Stat(F("a")).Ino;
        Assert.Equal(0, Err(rename(F("a"), F("b"))));
        Assert.False(File.Exists(F("a")));
        Assert.Equal("A", File.ReadAllText(F("b")));
        Assert.Equal(inoA, Stat(F("b")).Ino);
        File.WriteAllText(F("c"), "C");
        Assert.Equal(0, Err(rename(F("b"), F("c"))));          // replaces c
        Assert.Equal("A", File.ReadAllText(F("c")));
        Assert.False(File.Exists(F("b")));
        File.WriteAllText(F("e"), "E");
        Assert.Equal(EEXIST, Err(renameat2(AT_FDCWD, F("c"), AT_FDCWD, F("e"), RENAME_NOREPLACE)));
        Assert.Equal("A", File.ReadAllText(F("c")));
        Assert.Equal("E", File.ReadAllText(F("e")));
        Assert.Equal(0, Err(renameat2(AT_FDCWD, F("c"), AT_FDCWD, F("nr"), RENAME_NOREPLACE)));
        Assert.Equal(0, Err(renameat2(AT_FDCWD, F("nr"), AT_FDCWD, F("e"), RENAME_EXCHANGE)));
        Assert.Equal("E", File.ReadAllText(F("nr")));
        Assert.Equal("A", File.ReadAllText(F("e")));
        Assert.Equal(ENOENT, Err(renameat2(AT_FDCWD, F("nr"), AT_FDCWD, F("nothing"), RENAME_EXCHANGE)));
        Assert.Equal(0, Err(mkdir(F("d1"), 0x1ED)));
        Assert.Equal(0, Err(mkdir(F("d1/in"), 0x1ED)));
        Assert.Equal(0, Err(mkdir(F("d2"), 0x1ED)));
        Assert.Equal(0, Err(mkdir(F("d3"), 0x1ED)));
        Assert.Equal(ENOTEMPTY, Err(rename(F("d2"), F("d1"))));
        Assert.Equal(EISDIR, Err(rename(F("e"), F("d2"))));
        Assert.Equal(ENOTDIR, Err(rename(F("d2"), F("e"))));
        Assert.Equal(EINVAL, Err(rename(F("d1"), F("d1/in/sub"))));
        rootLinks = Stat(m.Root).Nlink;
        Assert.Equal(0, Err(rename(F("d2"), F("d3"))));        // an empty directory over an empty one
        Assert.False(Directory.Exists(F("d2")));
        Assert.Equal(rootLinks - 1, Stat(m.Root).Nlink);
        Assert.Equal(0, Err(rename(F("d3"), F("d1/d3"))));     // across parents: "..", and both link counts
        Assert.Equal(rootLinks - 2, Stat(m.Root).Nlink);
        Assert.Equal(4u, Stat(F("d1")).Nlink);
        Assert.Equal(Stat(F("d1")).Ino, Stat(F("d1/d3/..")).Ino);
        Assert.Equal(0, Err(renameat2(AT_FDCWD, F("e"), AT_FDCWD, F("d1"), RENAME_EXCHANGE)));   // a file and a directory swap
        Assert.Equal(S_IFDIR, Stat(F("e")).Type);
        Assert.Equal(S_IFREG, Stat(F("d1")).Type);
        Assert.Equal(Stat(F("e")).Ino, Stat(F("e/d3/..")).Ino);
        Assert.Equal(rootLinks - 2, Stat(m.Root).Nlink);

        // ---- listings: 500 names (several READDIR requests), types, "." and ".."
        Assert.Equal(0, Err(mkdir(F("many"), 0x1ED)));
        var names = Enumerable.Range(0, 500).Select(i => $"name-{i:D4}-{new string('x', i % 40)}").ToList();
        foreach (var n in names) Touch(F("many/" + n));
        Assert.Equal(0, Err(mkdir(F("many/sub"), 0x1ED)));
        var listed = ReadDir(F("many"), 4096);
        Assert.Equal(names.Append("sub").Append(".").Append("..").Order(StringComparer.Ordinal),
                     listed.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.All(listed.Where(d => d.Name.StartsWith("name-")), d => Assert.Equal(DT_REG, d.Type));
        Assert.Equal(DT_DIR, listed.Single(d => d.Name == "sub").Type);
        Assert.Equal(Stat(F("many")).Ino, listed.Single(d => d.Name == ".").Ino);
        Assert.Equal(Stat(F("many/" + names[7])).Ino, listed.Single(d => d.Name == names[7]).Ino);

        // A listing read in small pieces while names are removed and added: each piece is a READDIR from the offset
        // the last one ended at. No name may come twice, none that stayed may be missed, none removed before it was
        // reached may appear.
        Assert.Equal(0, Err(mkdir(F("live"), 0x1ED)));
        var original = Enumerable.Range(0, 300).Select(i => $"n{i:D3}").ToList();
        foreach (var n in original) Touch(F("live/" + n));
        fd = Open(F("live"), O_RDONLY | O_DIRECTORY);
        var seen = new List<string>();
        var removed = new HashSet<string>();
        var removedUnseen = new HashSet<string>();   // removed before the listing reached them
        try
        {
            var piece = GetDents(fd, 1024);
            Assert.NotEmpty(piece);
            seen.AddRange(piece.Select(d => d.Name));
            int round = 0;
            while (true)
            {
                // between pieces: remove every third name not seen yet and one seen already; add two new ones
                foreach (var n in original.Where(n => !seen.Contains(n) && !removed.Contains(n)).Where((_, i) => i % 3 == 0).Take(5).ToList())
                {
                    Assert.Equal(0, Err(unlink(F("live/" + n))));
                    removed.Add(n);
                    removedUnseen.Add(n);
                }
                var gone = seen.FirstOrDefault(n => n.StartsWith('n') && !removed.Contains(n));
                if (gone is not null) { Assert.Equal(0, Err(unlink(F("live/" + gone)))); removed.Add(gone); }
                if (round < 4)   // (names added at the end on every round would keep the listing going for ever)
                {
                    Touch(F($"live/new{round}a"));
                    Touch(F($"live/new{round}b"));
                }
                round++;
                piece = GetDents(fd, 1024);
                if (piece.Count == 0) break;
                seen.AddRange(piece.Select(d => d.Name));
            }
        }
        finally { close(fd); }
        Assert.Equal(seen.Count, seen.Distinct().Count());
        var stayed = original.Where(n => !removed.Contains(n)).ToList();
        Assert.Empty(stayed.Except(seen));
        Assert.Empty(seen.Intersect(removedUnseen));
        Assert.True(removedUnseen.Count > 20 && removed.Count > removedUnseen.Count, $"{removedUnseen.Count} names removed ahead of the listing, {removed.Count} in all");

        // ---- symlinks
        File.WriteAllText(F("target.txt"), "through the link");
        Assert.Equal(0, Err(symlink("target.txt", F("ln"))));
        Assert.Equal("target.txt", ReadLink(F("ln")));
        var lst = Lstat(F("ln"));
        Assert.Equal(S_IFLNK, lst.Type);
        Assert.Equal(0x1FFu, lst.Perm);
        Assert.Equal(10, lst.Size);
        Assert.Equal("through the link", File.ReadAllText(F("ln")));
        Assert.Equal(0, Err(symlink("nowhere/at/all", F("dangling"))));
        Assert.Equal("nowhere/at/all", ReadLink(F("dangling")));
        Assert.Equal(ENOENT, TryStat(F("dangling"), out _));
        Assert.Equal(EEXIST, Err(symlink("x", F("ln"))));
        Assert.Equal(EINVAL, ReadlinkErr(F("target.txt")));

        // ---- hard links
        File.WriteAllText(F("h1"), "one");
        Assert.Equal(0, Err(link(F("h1"), F("h2"))));
        Assert.Equal(2u, Stat(F("h1")).Nlink);
        Assert.Equal(2u, Stat(F("h2")).Nlink);
        Assert.Equal(Stat(F("h1")).Ino, Stat(F("h2")).Ino);
        File.AppendAllText(F("h2"), " two");
        Assert.Equal("one two", File.ReadAllText(F("h1")));
        Assert.Equal(EEXIST, Err(link(F("h1"), F("h2"))));
        Assert.Equal(EPERM, Err(link(F("many"), F("dirlink"))));
        Assert.Equal(0, Err(unlink(F("h1"))));
        Assert.Equal(1u, Stat(F("h2")).Nlink);
        Assert.Equal(0, Err(rename(F("h2"), F("h2"))));        // the same name: nothing happens

        // ---- stat fields and timestamps
        Touch(F("s"), 0x1A4);
        Assert.Equal(0, Err(chmod(F("s"), 0x1A0)));             // 0640
        var st0 = Stat(F("s"));
        Assert.Equal(S_IFREG | 0x1A0, st0.Mode);
        Assert.Equal(geteuid(), st0.Uid);
        Assert.Equal(getegid(), st0.Gid);
        Assert.Equal(0, st0.Size);
        Assert.Equal(0, st0.Blocks);
        Assert.Equal(4096u, st0.BlkSize);
        Assert.Equal(1u, st0.Nlink);
        fd = Open(F("s"), O_WRONLY);
        try { PwriteAll(fd, new byte[4096], 0); } finally { close(fd); }
        var st1 = Stat(F("s"));
        Assert.Equal(8, st1.Blocks);
        Assert.True(Ns(st1.Mtime) > Ns(st0.Mtime) && Ns(st1.Ctime) > Ns(st0.Ctime), "a write changes mtime and ctime");
        Assert.Equal(0, Err(chmod(F("s"), 0x180)));
        var st2 = Stat(F("s"));
        Assert.Equal(st1.Mtime, st2.Mtime);                     // chmod: ctime only
        Assert.True(Ns(st2.Ctime) > Ns(st1.Ctime), "chmod changes ctime");
        Assert.Equal(0, Utimens(F("s"), 1_000_000_000, 123, 1_500_000_000, 456_789));
        var st3 = Stat(F("s"));
        Assert.Equal((1_000_000_000L, 123u), st3.Atime);
        Assert.Equal((1_500_000_000L, 456_789u), st3.Mtime);
        Assert.True(Ns(st3.Ctime) > Ns(st2.Ctime), "utimensat changes ctime");
        Assert.Equal(0, Utimens(F("s"), 0, UTIME_OMIT, 0, UTIME_NOW));
        var st4 = Stat(F("s"));
        Assert.Equal(st3.Atime, st4.Atime);
        Assert.True(Math.Abs(Ns(st4.Mtime) - NowNs()) < 30_000_000_000L, "UTIME_NOW is now");
        File.ReadAllBytes(F("s"));                               // relatime: atime older than mtime moves on a read
        Assert.True(Ns(Stat(F("s")).Atime) >= Ns(st4.Mtime), "a read updates atime (relatime)");
        var pst = Stat(F("d"));
        Touch(F("d/new"));
        var pst1 = Stat(F("d"));
        Assert.True(Ns(pst1.Mtime) > Ns(pst.Mtime) && Ns(pst1.Ctime) > Ns(pst.Ctime), "a create changes its directory's mtime and ctime");
        Assert.Equal(0, Err(rename(F("d/new"), F("d/newer"))));
        var pst2 = Stat(F("d"));
        Assert.True(Ns(pst2.Mtime) > Ns(pst1.Mtime), "a rename changes its directory's mtime");
        Assert.Equal(0, Err(unlink(F("d/newer"))));
        Assert.True(Ns(Stat(F("d")).Mtime) > Ns(pst2.Mtime), "an unlink changes its directory's mtime");

        // ---- special files, xattrs, fallocate, statfs
        Assert.Equal(0, Err(mkfifo(F("fifo"), 0x1A4)));
        Assert.Equal(S_IFIFO, Stat(F("fifo")).Type);
        Assert.Equal(0, SetXattr(F("s"), "user.color", "blue"u8));
        Assert.Equal(EEXIST, SetXattr(F("s"), "user.color", "red"u8, XATTR_CREATE));
        Assert.Equal(ENODATA, SetXattr(F("s"), "user.size", "big"u8, XATTR_REPLACE));
        var (xlen, errno, value) = GetXattr(F("s"), "user.color", 64);
        Assert.Equal((4L, 0), (xlen, errno));
        Assert.Equal("blue", Encoding.ASCII.GetString(value));
        Assert.Equal(4, GetXattr(F("s"), "user.color", 0).Length);       // size probe
        Assert.Equal(ERANGE, GetXattr(F("s"), "user.color", 2).Errno);
        Assert.Equal(new[] { "user.color" }, ListXattr(F("s"), 1024).Names);
        Assert.Equal(0, Err(removexattr(F("s"), "user.color")));
        Assert.Equal(ENODATA, GetXattr(F("s"), "user.color", 64).Errno);
        Assert.Equal(EOPNOTSUPP, SetXattr(F("s"), "system.bogus", "x"u8));
        fd = Open(F("fa"), O_RDWR | O_CREAT);
        try
        {
            Assert.Equal(0, Err(fallocate(fd, 0, 0, 100_000)));
            Assert.Equal(100_000, Fstat(fd).Size);
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_KEEP_SIZE, 100_000, 50_000)));
            Assert.Equal(100_000, Fstat(fd).Size);
            PwriteAll(fd, Enumerable.Repeat((byte)7, 20_000).ToArray(), 0);
            Assert.Equal(0, Err(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192)));
            var back = new byte[20_000];
            Assert.Equal(20_000, PreadFull(fd, back, 0));
            Assert.True(back.Take(4096).All(b => b == 7) && back.Skip(4096).Take(8192).All(b => b == 0) && back.Skip(12288).All(b => b == 7));
        }
        finally { close(fd); }
        var sfs = Statfs(m.Root);
        Assert.Equal(4096, sfs.Bsize);
        Assert.Equal(255, sfs.Namelen);
        Assert.True(sfs.Blocks > 0 && sfs.Bfree < sfs.Blocks, $"statfs blocks {sfs.Blocks} free {sfs.Bfree}");
        Assert.True(sfs.Files > 0 && sfs.Ffree < sfs.Files, $"statfs files {sfs.Files} free {sfs.Ffree}");
    }

    private static int ReadlinkErr(string path)
    {
        byte* buf = stackalloc byte[64];
        return Err(readlink(path, buf, 64));
    }

    private static long Ns((long Sec, uint Nsec) t) => t.Sec * 1_000_000_000L + t.Nsec;
    private static long NowNs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;

    private const int ENOENT = 2, EPERM = 1, EACCES = 13, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOTEMPTY = 39,
        ERANGE = 34, ENODATA = 61, EOPNOTSUPP = 95;

    /// <summary>memfs leaves permission checks to the kernel: it mounts with default_permissions (another user is refused
    /// a 0600 file, and may not chmod it), unless given its own no_default_permissions, which it keeps from the library.</summary>
    [MountFact]
    public void Memfs_MountsWithDefaultPermissions_UnlessToldNot()
    {
        string exe = BuildShared();
        foreach (bool check in new[] { true, false })
        {
            using var m = new MemfsMount(exe, check ? "attr_timeout=0" : "attr_timeout=0,no_default_permissions");
            string options = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == m.Root);
            Assert.True(options.Contains("default_permissions") == check, options);
            Assert.DoesNotContain("no_default_permissions", options);
            Assert.Equal(0, Err(chmod(m.Root, 0x1FF)));
            File.WriteAllText(m.Path("secret"), "root only");
            Assert.Equal(0, Err(chmod(m.Path("secret"), 0x180)));   // 0600, owned by root
            int open = As(1000, 1000, () => OpenErr(m.Path("secret"), O_RDONLY));
            int mode = As(1000, 1000, () => Err(chmod(m.Path("secret"), 0x1B6)));
            Assert.Equal(check ? (EACCES, EPERM) : (0, 0), (open, mode));
            m.Stop();
        }
    }

    /// <summary>-o sync_read (memfs's own option, for perf/): READ answered in the callback, the synchronous style,
    /// with nothing queued for the reader thread.</summary>
    [MountFact]
    public void Memfs_SyncRead_AnswersReadsInTheCallback()
    {
        using var m = new MemfsMount(BuildShared(), "direct_io,sync_read");
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        File.WriteAllBytes(m.Path("f"), data);
        Assert.True(data.AsSpan().SequenceEqual(File.ReadAllBytes(m.Path("f"))));
        var stats = m.Stop();
        Assert.True(stats.Reads > 0 && stats.Queued == 0 && stats.Answered == 0, stats.Line);
    }

    /// <summary>SIGINT unmounts and memfs exits 0: then its reader thread can leave the mount at once.</summary>
    [MountFact]
    public void Memfs_UnmountsOnSigint_WithFilesOpen_AndExitsZero()
    {
        using var m = new MemfsMount(BuildShared(), "");
        File.WriteAllText(m.Path("kept"), "open while unmounting");
        using var s = new FileStream(m.Path("kept"), FileMode.Open, FileAccess.Read);
        var stats = m.Stop();                                  // lazy unmount: the open file does not keep it
        Assert.Equal(0, stats.Failed);
    }
}

/// <summary>
/// The C memfs against ext4 with the differential runner: a seeded stream of operations applied to a fresh
/// directory on ext4 and to the memfs mount, every result, errno and timestamp effect compared, then the trees.
/// Serial (the differential collection), as the C# ones: the runner fixes the process umask for its run, and
/// timestamps are compared.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class MemfsHostDifferentialTestsBase(ITestOutputHelper output, string transport)
{
    private const int Ops = 10_000;
    private const long Ext4Magic = 0xEF53;

    [MountFact]
    public void MemfsHost_MatchesExt4_OverSeededRandomOps()
    {
        string exe = MemfsHostTests.BuildShared();
        var work = Directory.CreateTempSubdirectory("fastfuse-cmemfs-diff-").FullName;
        try
        {
            string reference = Path.Combine(work, "ref");
            Directory.CreateDirectory(reference);
            Posix.chmod(work, 0x1ED);
            Posix.chmod(reference, 0x1ED);
            Assert.True(Posix.Statfs(reference).Type == Ext4Magic, $"the reference directory {reference} is not on ext4");

            // Timeouts 0: every stat reaches memfs, as in the C# differential tests.
            using var m = new MemfsMount(exe, $"entry_timeout=0,attr_timeout=0,negative_timeout=0,transport={transport},threads=2");
            uint oldUmask = Posix.umask(0x12);
            DiffReport report;
            try { report = new DifferentialRunner(reference, m.Root, DifferentialTestsBase.Seed).Run(Ops); }
            finally { Posix.umask(oldUmask); }
            output.WriteLine(report.Summary($"C memfs ({transport})"));
            foreach (var d in report.Differences) output.WriteLine(d);
            Assert.True(report.Ops >= Ops);
            Assert.True(report.TotalDifferences == 0, report.Message($"C memfs ({transport})"));

            var stats = m.Stop();
            output.WriteLine(stats.Line);
            Assert.Equal(transport, stats.Transport);
            Assert.True(stats.Reads > 0 && stats.Answered == stats.Reads && stats.Failed == 0, stats.Line);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>The C memfs against ext4 on the /dev/fuse transport.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(DifferentialCollection.Name)]
public sealed class MemfsHostDifferentialTests(ITestOutputHelper output) : MemfsHostDifferentialTestsBase(output, "devfuse");

/// <summary>The same on the kernel's FUSE over io_uring, where a reply made after the callback is queued to the ring's
/// thread (skipped, with the reason, where the kernel refuses fuse-uring).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(DifferentialCollection.Name)]
public sealed class MemfsHostDifferentialTests_FuseUring(ITestOutputHelper output) : MemfsHostDifferentialTestsBase(output, "fuse-uring");

/// <summary>The counters memfs prints at exit.</summary>
internal sealed record MemfsStats(string Line, long Reads, long Queued, long Answered, long Failed, long Pending, string Transport);

/// <summary>memfs mounted on a fresh directory; <see cref="Stop"/> sends SIGINT and reads its exit line.</summary>
internal sealed class MemfsMount : IDisposable
{
    private readonly TempDir _mnt = new();
    private readonly ChildProcess _p;

    public MemfsMount(string exe, string options)
    {
        _p = options.Length == 0 ? ChildProcess.Start(exe, _mnt.Path, "--stats") : ChildProcess.Start(exe, _mnt.Path, "-o", options, "--stats");
        Assert.True(_p.WaitForStdout(l => l.StartsWith("memfs: serving"), TimeSpan.FromSeconds(20)), "memfs did not start\n" + _p.AllOutput);
        Assert.True(MountTable.IsMounted(_mnt.Path), "memfs said it serves, but nothing is mounted\n" + _p.AllOutput);
    }

    public string Root => _mnt.Path;
    public string Path(string rel) => System.IO.Path.Combine(_mnt.Path, rel);

    public MemfsStats Stop()
    {
        _p.Signal(2 /* SIGINT */);
        Assert.True(_p.WaitForExit(TimeSpan.FromSeconds(20)), "memfs did not exit on SIGINT\n" + _p.AllOutput);
        Assert.True(_p.ExitCode == 0, $"exit code {_p.ExitCode}\n{_p.AllOutput}");
        Assert.False(MountTable.IsMounted(_mnt.Path), "still mounted after exit");
        Assert.DoesNotContain("reply failed", _p.AllOutput);
        string line = _p.Stdout.SingleOrDefault(l => l.StartsWith("memfs: READ requests ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException("no counters line at exit\n" + _p.AllOutput);
        var g = Regex.Match(line, @"READ requests (\d+), queued (\d+), answered by the reader thread (\d+); failed replies (\d+); deferred replies pending (\d+)").Groups;
        Assert.True(g.Count == 6 && g[1].Success, "unexpected counters line: " + line);
        // --stats: the library's counters as text, with the transport that served ("transport: devfuse").
        string transport = _p.Stdout.FirstOrDefault(l => l.StartsWith("transport: ", StringComparison.Ordinal))?["transport: ".Length..].Trim() ?? "";
        return new MemfsStats(line, long.Parse(g[1].Value), long.Parse(g[2].Value), long.Parse(g[3].Value), long.Parse(g[4].Value), long.Parse(g[5].Value), transport);
    }

    public void Dispose()
    {
        _p.Dispose();
        _mnt.Dispose();
    }
}
