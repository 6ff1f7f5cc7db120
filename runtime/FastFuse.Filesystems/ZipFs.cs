using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Session;
using Microsoft.Win32.SafeHandles;

namespace FastFuse.Filesystems;

/// <summary>
/// A zip archive mounted read-only as a directory tree, written with the node API: <c>fastfuse zip ARCHIVE MOUNTPOINT</c>.
/// <para>The tree is built once from the central directory, as persistent nodes: directories from the entry paths
/// (a directory entry "a/b/" or implied by "a/b/c"), files with the entry's uncompressed size, symlinks where an
/// archive made on Unix marks an entry S_IFLNK. Modification times come from the extended timestamp field when
/// present, else from the entry's MS-DOS time (local time, as <c>ZipArchiveEntry.LastWriteTime</c> reads it);
/// permissions from the Unix mode in the external attributes when present, else 0444 for files and 0555 for
/// directories; inode numbers are the entry's index + 2 (1 is the root). Names the tree cannot hold ("..", empty
/// or over 255 bytes components) and duplicates are skipped with one warning each.</para>
/// <para>Reads use pread on one descriptor, so every worker reads at once. Stored entries are answered straight
/// from the archive (spliced). Deflated entries are decompressed by System.IO.Compression into 64 KiB blocks kept in
/// a bounded LRU shared by all readers (<see cref="ZipFsOptions.CacheBytes"/>); each open file has its own
/// decompression cursor, so a sequential read decompresses each block once, and random access within an entry
/// costs a restart from the entry's start only for a block behind the cursor that is no longer cached. Encrypted
/// entries and other compression methods answer EOPNOTSUPP. Every change answers EROFS; extended attributes are not
/// supported (ENOSYS once: the kernel stops asking).</para>
/// <para>Dispose it after the session has ended: it closes the archive.</para>
/// </summary>
public sealed class ZipFs : NodeFileSystem, IDisposable
{
    private readonly ZipSource _source;

    private ZipFs(Node root, ZipSource source, string path, int entries, ZipFsOptions o)
        : base(root, new NodeFileSystemOptions
        {
            ReadOnly = true,
            Xattrs = false,                                // a zip entry has none: the kernel need not ask
            EntryTimeout = o.EntryTimeout,
            AttrTimeout = o.AttrTimeout,
            NegativeTimeout = o.NegativeTimeout,
            Uid = o.Uid,
            Gid = o.Gid,
        })
    {
        _source = source;
        ArchivePath = path;
        EntryCount = entries;
    }

    /// <summary>The archive's full path.</summary>
    public string ArchivePath { get; }
    /// <summary>Entries in the archive's central directory.</summary>
    public int EntryCount { get; }
    /// <summary>Reads of compressed data served from the block cache.</summary>
    public long CacheHits => _source.Cache.Hits;
    /// <summary>Reads of compressed data that had to decompress.</summary>
    public long CacheMisses => _source.Cache.Misses;

    /// <summary>Open <paramref name="archivePath"/> and build its tree.</summary>
    /// <exception cref="InvalidDataException">The file is not a zip archive, or its central directory is damaged.</exception>
    /// <exception cref="IOException">It cannot be read (not found, a directory…).</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    public static ZipFs Open(string archivePath, ZipFsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(archivePath);
        options ??= new ZipFsOptions();
        string path = Path.GetFullPath(archivePath);
        if (Directory.Exists(path)) throw new IOException($"{path} is a directory, not a zip archive");
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(file);
            var entries = ZipIndex.Read(file, length);
            var source = new ZipSource(file, length, new ZipBlockCache(options.CacheBytes), options.Uid, options.Gid);
            long archiveMtime = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds();
            var root = BuildTree(source, entries, archiveMtime);
            return new ZipFs(root, source, path, entries.Count, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Closes the archive. Only after the session has ended.</summary>
    public void Dispose() => _source.File.Dispose();

    // ---------------------------------------------------------------- the tree

    private static ZipDirNode BuildTree(ZipSource zip, List<ZipEntryInfo> entries, long archiveMtime)
    {
        var root = new ZipDirNode(zip, 1, archiveMtime);
        ulong nextIno = (ulong)entries.Count + 2;          // implied directories come after the entries' numbers
        long nodes = 1, bytes = 0;
        Span<Range> parts = stackalloc Range[256];
        foreach (var e in entries)
        {
            ReadOnlySpan<byte> name = e.Name;
            uint type = e.UnixMode & Linux.S_IFMT;
            bool isDir = name.EndsWith("/"u8) || type == Linux.S_IFDIR;
            int count = Split(name, parts, out string? bad);
            if (bad is not null || count == 0)
            {
                if (count != 0 || !isDir) Skip(e, bad ?? "no name");
                continue;
            }
            var dir = root;
            int dirs = isDir ? count : count - 1;
            for (int i = 0; i < dirs && dir is not null; i++)
            {
                var part = name[parts[i]];
                switch (dir.GetChild(part))
                {
                    case ZipDirNode d:
                        dir = d;
                        break;
                    case null:
                        var made = new ZipDirNode(zip, nextIno++, archiveMtime);
                        dir.AddChild(part, made);
                        dir.Subdirs++;
                        nodes++;
                        dir = made;
                        break;
                    default:
                        Skip(e, $"'{System.Text.Encoding.UTF8.GetString(part)}' is a file and a directory");
                        dir = null;
                        break;
                }
            }
            if (dir is null) continue;
            long mtime = e.UnixMtime ?? DosToUnix(e.DosDateTime);
            if (isDir)
            {
                if (!dir.Explicit)
                {
                    dir.Explicit = true;
                    dir.Mtime = mtime;
                    if (e.UnixMode != 0) dir.Perm = e.UnixMode & 0xFFF;
                }
                continue;
            }
            var last = name[parts[count - 1]];
            if (dir.GetChild(last) is not null)
            {
                Skip(e, "a duplicate name");
                continue;
            }
            Node node = type == Linux.S_IFLNK
                ? new ZipSymlinkNode(zip, e, mtime)
                : new ZipFileNode(zip, e, e.UnixMode != 0 ? e.UnixMode & 0xFFF : 0x124u, mtime);
            dir.AddChild(last, node);
            nodes++;
            bytes += e.Size;
        }
        zip.Nodes = nodes;
        zip.TotalBytes = bytes;
        return root;
    }

    /// <summary>The path's components (empty ones and "." dropped) into <paramref name="parts"/>; their count, or
    /// <paramref name="bad"/> set when the path has a component the tree cannot hold.</summary>
    private static int Split(ReadOnlySpan<byte> path, Span<Range> parts, out string? bad)
    {
        bad = null;
        int count = 0;
        int start = 0;
        for (int i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != (byte)'/') continue;
            var part = path[start..i];
            var range = new Range(start, i);
            start = i + 1;
            if (part.IsEmpty || part.SequenceEqual("."u8)) continue;
            if (part.SequenceEqual(".."u8)) { bad = "a '..' component"; return 0; }
            if (part.Length > 255) { bad = "a component longer than 255 bytes"; return 0; }
            if (part.Contains((byte)0)) { bad = "a NUL byte"; return 0; }
            if (count == parts.Length) { bad = "more than 256 components"; return 0; }
            parts[count++] = range;
        }
        return count;
    }

    private static void Skip(ZipEntryInfo e, string why) =>
        Log.Warn($"zip: entry {e.Index} '{System.Text.Encoding.UTF8.GetString(e.Name)}' skipped: {why}");

    /// <summary>An MS-DOS date and time (local time) as Unix seconds; an invalid one as 1980-01-01, as
    /// System.IO.Compression reads it.</summary>
    internal static long DosToUnix(uint dosDateTime)
    {
        int date = (int)(dosDateTime >> 16), time = (int)(dosDateTime & 0xFFFF);
        DateTime local;
        try
        {
            local = new DateTime(1980 + (date >> 9), (date >> 5) & 15, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2, DateTimeKind.Local);
        }
        catch (ArgumentOutOfRangeException)
        {
            local = new DateTime(1980, 1, 1, 0, 0, 0, DateTimeKind.Local);
        }
        return new DateTimeOffset(local).ToUnixTimeSeconds();
    }
}
