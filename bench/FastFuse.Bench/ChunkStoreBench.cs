using BenchmarkDotNet.Attributes;
using FastFuse.Filesystems;

namespace FastFuse.Bench;

/// <summary>
/// MemFs's chunk store through the file data API, without FUSE: 64 MiB written in 1 MiB pieces into a new file and
/// then freed (allocate, write, free: what `dd bs=1M` into a new file and `rm` cost the store), the same 64 MiB
/// rewritten over existing data (no allocation), and 1,000 small files of 4 KiB created and freed.
/// MB/s = 64 / (mean in seconds) for the first two.
/// </summary>
[MemoryDiagnoser]
public class ChunkStoreBench
{
    private const int Piece = 1 << 20;
    private const int FileMiB = 64;
    private const int SmallFiles = 1000;
    private ChunkStore _store = null!;
    private FileNode _existing = null!;
    private readonly byte[] _data = new byte[Piece];
    private readonly FileNode[] _small = new FileNode[SmallFiles];

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_data);
        _store = new ChunkStore(16L << 30);
        _existing = new FileNode(0x81A4);
        for (int i = 0; i < FileMiB; i++) _existing.Write((long)i * Piece, _data, _store);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _existing.FreeContents(_store);
        _store.Dispose();
    }

    /// <summary>64 MiB into a new file, 1 MiB per write, then the file is deleted.</summary>
    [Benchmark]
    public long NewFile64MiB_WriteThenFree()
    {
        var f = new FileNode(0x81A4);
        for (int i = 0; i < FileMiB; i++) f.Write((long)i * Piece, _data, _store);
        long size = f.Size;
        f.FreeContents(_store);
        return size;
    }

    /// <summary>The same 64 MiB written over an existing file's data.</summary>
    [Benchmark(Baseline = true)]
    public long Rewrite64MiB()
    {
        var f = _existing;
        for (int i = 0; i < FileMiB; i++) f.Write((long)i * Piece, _data, _store);
        return f.Size;
    }

    /// <summary>1,000 files of 4 KiB each written, then all deleted.</summary>
    [Benchmark]
    public long SmallFiles1000x4KiB_WriteThenFree()
    {
        var d = _data.AsSpan(0, 4096);
        for (int i = 0; i < SmallFiles; i++)
        {
            var f = _small[i] = new FileNode(0x81A4);
            f.Write(0, d, _store);
        }
        long used = _store.Used;
        for (int i = 0; i < SmallFiles; i++) _small[i].FreeContents(_store);
        return used;
    }
}
