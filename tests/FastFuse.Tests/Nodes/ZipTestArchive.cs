using System.IO.Compression;
using System.Text;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Nodes;

/// <summary>
/// A zip archive made with System.IO.Compression for the ZipFs tests, and what a mount of it must show, read back
/// from the archive with System.IO.Compression (not with ZipFs's own reader): nested directories, an empty directory
/// entry, a compressible file over 1 MiB, an incompressible one, a stored entry, files whose parents exist only in
/// their paths, an empty file, a UTF-8 name, Unix modes and a symlink.
/// </summary>
internal sealed class ZipTestArchive : IDisposable
{
    public readonly string Dir;
    public readonly string Path;

    public ZipTestArchive(string name = "test.zip")
    {
        Dir = Directory.CreateTempSubdirectory("fastfuse-zip-").FullName;
        Path = System.IO.Path.Combine(Dir, name);
        using var zip = ZipFile.Open(Path, ZipArchiveMode.Create);
        var when = new DateTimeOffset(2024, 5, 17, 13, 45, 22, TimeSpan.Zero).ToLocalTime();
        void Add(string entry, byte[] data, CompressionLevel level = CompressionLevel.Optimal, int? unixMode = null, DateTimeOffset? time = null)
        {
            var e = zip.CreateEntry(entry, level);
            e.LastWriteTime = time ?? when;
            if (unixMode is { } mode) e.ExternalAttributes = mode << 16;
            using var s = e.Open();
            s.Write(data);
        }
        Add("readme.txt", "a zip archive, mounted\n"u8.ToArray());
        Add("docs/", []);
        Add("docs/guide.md", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("# Guide\nsome words, repeated.\n", 400))));
        Add("empty/", []);
        Add("a/b/c/deep.txt", "three implied directories above me\n"u8.ToArray(), time: when.AddDays(-3));
        Add("big/compressible.bin", Compressible(3 * 1024 * 1024 + 12345, 1));
        Add("big/random.bin", MountTestUtil.Random(300_000, 2));
        Add("stored.bin", MountTestUtil.Random(200_000, 3), CompressionLevel.NoCompression);
        Add("zero.txt", []);
        Add("unicode/ñandú €.txt", "ünïcödé\n"u8.ToArray());
        Add("bin/tool.sh", "#!/bin/sh\necho hi\n"u8.ToArray(), unixMode: (int)(S_IFREG | 0x1ED));
        Add("bin/link", "tool.sh"u8.ToArray(), unixMode: (int)(S_IFLNK | 0x1FF));
    }

    /// <summary>Text-like bytes: compresses well, and no two 64 KiB blocks are alike.</summary>
    public static byte[] Compressible(int size, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte)(i % 97 < 90 ? 'a' + (i / 4099 + i % 7) % 26 : rng.Next(256));
        return b;
    }

    /// <summary>What the archive holds, as System.IO.Compression reads it.</summary>
    public sealed record Expected(Dictionary<string, byte[]> Files, HashSet<string> Dirs, Dictionary<string, string> Links,
        Dictionary<string, EntryFacts> Entries);

    /// <summary>An entry's modification time (Unix seconds) and the Unix mode in its external attributes (0: none).</summary>
    public readonly record struct EntryFacts(long Mtime, uint UnixMode);

    public Expected Read()
    {
        var files = new Dictionary<string, byte[]>();
        var dirs = new HashSet<string>();
        var links = new Dictionary<string, string>();
        var entries = new Dictionary<string, EntryFacts>();
        using var zip = ZipFile.OpenRead(Path);
        foreach (var e in zip.Entries)
        {
            string name = e.FullName.TrimEnd('/');
            entries[name] = new EntryFacts(e.LastWriteTime.ToUnixTimeSeconds(), (uint)e.ExternalAttributes >> 16);
            for (int i = name.IndexOf('/'); i >= 0; i = name.IndexOf('/', i + 1)) dirs.Add(name[..i]);
            if (e.FullName.EndsWith('/')) { dirs.Add(name); continue; }
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            if ((((uint)e.ExternalAttributes >> 16) & S_IFMT) == S_IFLNK) links[name] = Encoding.UTF8.GetString(ms.ToArray());
            else files[name] = ms.ToArray();
        }
        return new Expected(files, dirs, links, entries);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
