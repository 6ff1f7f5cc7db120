using System.Runtime.InteropServices;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Nodes;

/// <summary>What a mounted zip archive must show: checked against System.IO.Compression's reading of it.</summary>
internal static class ZipMountCheck
{
    /// <summary>Every name under <paramref name="root"/> (lstat of each), recursively, by path relative to it.</summary>
    public static Dictionary<string, StatxInfo> Walk(string root)
    {
        var all = new Dictionary<string, StatxInfo>();
        void Visit(string rel)
        {
            foreach (var e in ReadDir(rel.Length == 0 ? root : Path.Combine(root, rel)))
            {
                if (e.Name is "." or "..") continue;
                string r = rel.Length == 0 ? e.Name : rel + "/" + e.Name;
                var st = Lstat(Path.Combine(root, r));
                Assert.Equal(st.Type >> 12, (uint)e.Type);        // readdir's type is stat's
                all[r] = st;
                if (st.Type == S_IFDIR) Visit(r);
            }
        }
        Visit("");
        return all;
    }

    /// <summary>The tree, every file's bytes, every link's target, sizes, times and modes.</summary>
    public static void TreeAndBytes(string mount, ZipTestArchive archive)
    {
        var x = archive.Read();
        var seen = Walk(mount);
        Assert.Equal(x.Dirs.Order(), seen.Where(s => s.Value.Type == S_IFDIR).Select(s => s.Key).Order());
        Assert.Equal(x.Files.Keys.Order(), seen.Where(s => s.Value.Type == S_IFREG).Select(s => s.Key).Order());
        Assert.Equal(x.Links.Keys.Order(), seen.Where(s => s.Value.Type == S_IFLNK).Select(s => s.Key).Order());
        long archiveMtime = new DateTimeOffset(File.GetLastWriteTimeUtc(archive.Path)).ToUnixTimeSeconds();
        foreach (var (path, st) in seen)
        {
            var facts = x.Entries.GetValueOrDefault(path);
            bool named = x.Entries.ContainsKey(path);
            Assert.True((named ? facts.Mtime : archiveMtime) == st.MtimeSec, $"{path}: mtime {st.MtimeSec}, expected {(named ? facts.Mtime : archiveMtime)}");
            uint perm = named && facts.UnixMode != 0 ? facts.UnixMode & 0xFFF : st.Type == S_IFDIR ? 0x16Du : st.Type == S_IFLNK ? 0x1FFu : 0x124u;
            Assert.True(perm == st.Perm, $"{path}: mode {Convert.ToString(st.Perm, 8)}, expected {Convert.ToString(perm, 8)}");
        }
        foreach (var (path, bytes) in x.Files)
        {
            Assert.Equal(bytes.Length, seen[path].Size);
            var got = ReadFile(Path.Combine(mount, path));
            Assert.True(bytes.AsSpan().SequenceEqual(got), $"{path}: {got.Length} bytes read differ from the archive's {bytes.Length}");
        }
        foreach (var (path, target) in x.Links)
        {
            Assert.Equal(target, ReadLink(Path.Combine(mount, path)));
            Assert.Equal(target.Length, seen[path].Size);
        }
    }

    /// <summary>Random preads with O_DIRECT (each reaches the filesystem: no page cache), forwards and backwards.</summary>
    public static unsafe void RandomReads(string file, byte[] expected, int count, int seed)
    {
        int fd = Open(file, O_RDONLY | O_DIRECT);
        const int Max = 256 * 1024;
        byte* buf = (byte*)NativeMemory.AlignedAlloc(Max, 4096);
        try
        {
            var rng = new Random(seed);
            for (int i = 0; i < count; i++)
            {
                long off = rng.Next(3) == 0 ? rng.NextInt64(expected.Length + 100) : rng.NextInt64(expected.Length / 4096 + 1) * 4096;
                int len = rng.Next(4) switch { 0 => rng.Next(1, 100), 1 => 4096, 2 => 128 * 1024, _ => rng.Next(1, Max) };
                long n = pread(fd, buf, (nuint)len, off);
                Assert.True(n >= 0, $"pread {len} at {off}: {ErrName(LastErrno)}");
                long want = Math.Max(0, Math.Min(len, expected.Length - off));
                Assert.True(want == n, $"pread {len} at {off}: {n} bytes, expected {want}");
                Assert.True(new ReadOnlySpan<byte>(buf, (int)n).SequenceEqual(expected.AsSpan((int)Math.Min(off, expected.Length), (int)n)),
                    $"pread {len} at {off}: the bytes differ");
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buf);
            Close(fd);
        }
    }
}

/// <summary>ZipFs through the kernel on every transport, mounted in process.</summary>
public abstract class ZipFsTests(TransportKind transport)
{
    private MountedFs Mount(ZipTestArchive a, ZipFsOptions? o = null) =>
        new(ZipFs.Open(a.Path, o), "", new SessionOptions { Threads = 2, Transport = transport });

    [MountFact]
    public void TreeAndEveryFile_AreTheArchives()
    {
        using var a = new ZipTestArchive();
        using var m = Mount(a);
        ZipMountCheck.TreeAndBytes(m.Path, a);
        Assert.Equal(S_IFREG | 0x1EDu, Stat(m["bin/tool.sh"]).Mode);
        Assert.Equal("#!/bin/sh\necho hi\n"u8.ToArray(), ReadFile(m["bin/link"]));     // the symlink is followed
        Assert.Equal(3u, Stat(m["a"]).Nlink);                                          // 2 + one subdirectory
        Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
    }

    [MountFact]
    public void RandomAccess_WithinCompressedAndStoredEntries()
    {
        using var a = new ZipTestArchive();
        using var m = Mount(a);
        var x = a.Read();
        long reads = m.Session.Stats.CountOf(Opcode.Read);
        ZipMountCheck.RandomReads(m["big/compressible.bin"], x.Files["big/compressible.bin"], 150, 11);
        ZipMountCheck.RandomReads(m["big/random.bin"], x.Files["big/random.bin"], 60, 12);
        ZipMountCheck.RandomReads(m["stored.bin"], x.Files["stored.bin"], 60, 13);
        ZipMountCheck.RandomReads(m["zero.txt"], x.Files["zero.txt"], 5, 14);
        Assert.True(m.Session.Stats.CountOf(Opcode.Read) - reads >= 200, "the O_DIRECT reads did not reach the filesystem");
        var zip = (ZipFs)m.FileSystem;
        Assert.True(zip.CacheHits > 0 && zip.CacheMisses > 0, $"cache hits {zip.CacheHits}, misses {zip.CacheMisses}");
    }

    [MountFact]
    public void RandomAccess_WithATinyCache_RestartsAndStaysRight()
    {
        using var a = new ZipTestArchive();
        using var m = Mount(a, new ZipFsOptions { CacheBytes = 2 * 65536 });
        var x = a.Read();
        ZipMountCheck.RandomReads(m["big/compressible.bin"], x.Files["big/compressible.bin"], 80, 21);
        Assert.Equal(x.Files["big/compressible.bin"], ReadFile(m["big/compressible.bin"]));
    }

    [MountFact]
    public void ConcurrentReaders_EachSeeTheirBytes()
    {
        using var a = new ZipTestArchive();
        using var m = Mount(a);
        var x = a.Read();
        string[] files = { "big/compressible.bin", "big/random.bin", "stored.bin", "big/compressible.bin" };
        m.Within(TimeSpan.FromSeconds(120), () =>
        {
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var threads = files.Select((f, i) => new Thread(() =>
            {
                try { ZipMountCheck.RandomReads(m[f], x.Files[f], 60, 100 + i); }
                catch (Exception e) { errors.Enqueue(e); }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            Assert.Empty(errors);
        });
    }

    [MountFact]
    public void Changes_AreRefusedEROFS_AndStatfsIsSane()
    {
        using var a = new ZipTestArchive();
        using var m = Mount(a);
        Assert.Equal(Errno.EROFS, OpenErr(m["readme.txt"], O_WRONLY));
        Assert.Equal(Errno.EROFS, OpenErr(m["readme.txt"], O_RDWR));
        Assert.Equal(Errno.EROFS, OpenErr(m["new.txt"], O_WRONLY | O_CREAT));
        Assert.Equal(Errno.EROFS, Err(mkdir(m["newdir"], 0x1ED)));
        Assert.Equal(Errno.EROFS, Err(unlink(m["readme.txt"])));
        Assert.Equal(Errno.EROFS, Err(rmdir(m["empty"])));
        Assert.Equal(Errno.EROFS, Err(rename(m["readme.txt"], m["moved.txt"])));
        Assert.Equal(Errno.EROFS, Err(symlink("x", m["ln"])));
        Assert.Equal(Errno.EROFS, Err(truncate(m["readme.txt"], 0)));
        Assert.Equal(Errno.EROFS, Err(chmod(m["readme.txt"], 0x1FF)));
        Assert.Equal(Errno.EROFS, SetXattr(m["readme.txt"], "user.k", "v"u8));
        Assert.Equal(Errno.ENOENT, TryStat(m["no/such"], out _));
        Assert.Equal(a.Read().Files["readme.txt"], ReadFile(m["readme.txt"]));
        // No extended attributes: the first GETXATTR answers ENOSYS, and the kernel asks no more.
        long getxattrs = m.Session.Stats.CountOf(Opcode.Getxattr);
        for (int i = 0; i < 10; i++) Assert.Equal(Errno.EOPNOTSUPP, GetXattr(m[i % 2 == 0 ? "readme.txt" : "docs"], "user.k", 64).Errno);
        Assert.True(m.Session.Stats.CountOf(Opcode.Getxattr) - getxattrs <= 1, "GETXATTR kept reaching the filesystem");

        var x = a.Read();
        var sf = Statfs(m.Path);
        Assert.Equal(255, sf.Namelen);
        Assert.Equal(4096, sf.Bsize);
        long bytes = x.Files.Values.Sum(f => (long)f.Length) + x.Links.Values.Sum(l => (long)l.Length);
        Assert.Equal((ulong)((bytes + 4095) / 4096), sf.Blocks);
        Assert.Equal((ulong)(x.Files.Count + x.Links.Count + x.Dirs.Count + 1), sf.Files);
        Assert.Equal(0UL, sf.Bfree);
    }
}

public sealed class ZipFsTests_DevFuse() : ZipFsTests(TransportKind.DevFuse);
public sealed class ZipFsTests_Uring() : ZipFsTests(TransportKind.Uring);
public sealed class ZipFsTests_FuseUring() : ZipFsTests(TransportKind.FuseUring);

/// <summary>ZipFs without a mount: damaged archives are refused with one clear message, odd entries are skipped.</summary>
public sealed class ZipFsOpenTests
{
    [Theory]
    [InlineData("garbage", "not a zip archive")]
    [InlineData("short", "too short")]
    [InlineData("truncated", "central directory")]
    public void BadArchives_AreInvalidData(string kind, string message)
    {
        using var a = new ZipTestArchive();
        string bad = Path.Combine(a.Dir, kind + ".zip");
        var good = File.ReadAllBytes(a.Path);
        File.WriteAllBytes(bad, kind switch
        {
            "garbage" => MountTestUtil.Random(100_000, 5),
            "short" => "PK"u8.ToArray(),
            _ => good[..(good.Length / 2)].Concat(good[^22..]).ToArray(),   // the end record survives, the directory not
        });
        var e = Assert.Throws<InvalidDataException>(() => ZipFs.Open(bad));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MissingAndDirectory_AreIOException()
    {
        using var a = new ZipTestArchive();
        Assert.Throws<FileNotFoundException>(() => ZipFs.Open(Path.Combine(a.Dir, "missing.zip")));
        Assert.Throws<IOException>(() => ZipFs.Open(a.Dir));
    }

    [Fact]
    public void Zip64_MoreThan65535Entries_AreAllInTheTree()
    {
        using var a = new ZipTestArchive();
        string path = Path.Combine(a.Dir, "many.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            for (int i = 0; i < 70_000; i++) zip.CreateEntry($"d{i % 7}/f{i}", System.IO.Compression.CompressionLevel.NoCompression);
        using var fs = ZipFs.Open(path);
        Assert.Equal(70_000, fs.EntryCount);
        Assert.Equal(7, fs.Root.ChildCount);
        Assert.All(fs.Root.GetChildren(), d => Assert.Equal(10_000, d.Value.ChildCount));
        Assert.NotNull(fs.Root.GetChild($"d{69_998 % 7}")!.GetChild("f69998"));
    }

    [Fact]
    public void NamesTheTreeCannotHold_AndDuplicates_AreSkipped()
    {
        using var a = new ZipTestArchive();
        string path = Path.Combine(a.Dir, "odd.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            foreach (var name in new[] { "../evil.txt", "a/../b.txt", "ok.txt", "./dot/./x.txt", "//slashes//y.txt", "dup.txt", "dup.txt", "f", "f/under-a-file.txt", "d/", "d" })
                zip.CreateEntry(name);
        using var fs = ZipFs.Open(path);
        Assert.Equal(new[] { "ok.txt", "dot", "slashes", "dup.txt", "f", "d" }, fs.Root.GetChildren().Select(c => c.Key));
        Assert.NotNull(fs.Root.GetChild("dot")!.GetChild("x.txt"));
        Assert.NotNull(fs.Root.GetChild("slashes")!.GetChild("y.txt"));
        Assert.False(fs.Root.GetChild("f")!.IsDirectory);                 // the first entry wins; "f/..." is skipped
        Assert.True(fs.Root.GetChild("d")!.IsDirectory);
    }

    [Fact]
    public void DosTime_IsReadAsSystemIOCompressionReadsIt()
    {
        var t = new DateTime(2023, 11, 5, 7, 8, 10);
        uint dos = (uint)((t.Year - 1980) << 25 | t.Month << 21 | t.Day << 16 | t.Hour << 11 | t.Minute << 5 | t.Second / 2);
        Assert.Equal(new DateTimeOffset(t).ToUnixTimeSeconds(), ZipFs.DosToUnix(dos));
        Assert.Equal(new DateTimeOffset(new DateTime(1980, 1, 1)).ToUnixTimeSeconds(), ZipFs.DosToUnix(0));
    }
}
