using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Bench;

/// <summary>Packing 1,000 directory entries (READDIR and READDIRPLUS records) into a pinned reply buffer.</summary>
[MemoryDiagnoser]
public unsafe class DirentBench
{
    private const int Entries = 1000;
    private byte[][] _names = null!;
    private byte* _buffer;
    private int _capacity;
    private FuseEntryOut _entry;

    [GlobalSetup]
    public void Setup()
    {
        _names = new byte[Entries][];
        for (int i = 0; i < Entries; i++) _names[i] = Encoding.UTF8.GetBytes($"file-{i:D6}.dat");
        // Room for all 1,000 direntplus records: (152 + 15 + 7) & ~7 = 168 bytes each.
        _capacity = 256 * 1024;
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)_capacity, 4096);
        _entry.Attr.Mode = Linux.S_IFREG | 0x1A4;
        _entry.EntryValid = 1;
        _entry.AttrValid = 1;
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_buffer);

    [Benchmark(OperationsPerInvoke = Entries)]
    public int Readdir1000()
    {
        var dir = new DirectoryReply(_buffer, _capacity, plus: false);
        var names = _names;
        for (int i = 0; i < names.Length; i++)
            if (!dir.Add(names[i], (ulong)i + 2, Linux.S_IFREG, i + 3)) throw new InvalidOperationException("buffer full");
        return dir.Length;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public int Readdirplus1000()
    {
        var dir = new DirectoryReply(_buffer, _capacity, plus: true);
        var names = _names;
        for (int i = 0; i < names.Length; i++)
        {
            _entry.Nodeid = (ulong)i + 2;
            _entry.Attr.Ino = (ulong)i + 2;
            if (!dir.AddPlus(names[i], in _entry, i + 3)) throw new InvalidOperationException("buffer full");
        }
        return dir.Length;
    }
}
