using System.Runtime.CompilerServices;
using FastFuse.Kernel;

namespace FastFuse.Api;

/// <summary>
/// Packs directory entries (fuse_dirent or fuse_direntplus, 8-byte aligned) straight into the worker's pinned
/// reply buffer, up to the size the kernel asked for. <see cref="Add"/> returns false when the next entry does
/// not fit: stop there; the kernel asks again from that entry's offset.
/// </summary>
public unsafe ref struct DirectoryReply
{
    private const int DirentHeader = 24;      // ino, off, namelen, type
    private const int EntryOutSize = 128;     // fuse_entry_out before the dirent in direntplus

    // Invariant: _buffer is the worker's pinned reply buffer with at least _capacity bytes, owned by this request.
    private readonly byte* _buffer;
    private readonly int _capacity;

    internal DirectoryReply(byte* buffer, int capacity, bool plus)
    {
        _buffer = buffer;
        _capacity = capacity;
        IsPlus = plus;
        Length = 0;
        Count = 0;
    }

    /// <summary>True for READDIRPLUS: use <see cref="AddPlus"/> (or <see cref="Add"/> with an entry).</summary>
    public bool IsPlus { get; }
    /// <summary>Bytes packed so far.</summary>
    public int Length { get; private set; }
    /// <summary>Entries packed so far.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// READDIR entry. <paramref name="nextOffset"/> is the offset the kernel sends to continue after this entry.
    /// <paramref name="type"/> is the file type in S_IFMT form (mode &amp; S_IFMT) or 0 if unknown.
    /// In READDIRPLUS mode this adds an entry with no attributes (node id 0: the kernel will LOOKUP it).
    /// </summary>
    public bool Add(scoped ReadOnlySpan<byte> name, ulong ino, uint type, long nextOffset)
    {
        if (IsPlus)
        {
            FuseEntryOut none = default;
            none.Attr.Ino = ino;
            none.Attr.Mode = type;
            return AddPlus(name, in none, nextOffset);
        }
        int size = Align8(DirentHeader + name.Length);
        if (size > _capacity - Length) return false;
        byte* p = _buffer + Length;
        WriteDirent(p, name, ino, type, nextOffset, size);
        Length += size;
        Count++;
        return true;
    }

    /// <summary>
    /// READDIRPLUS entry with its attributes and entry timeouts. If this returns true and the name is not
    /// "." or "..", the kernel now holds one more lookup reference to <c>entry.Nodeid</c> (when it is not 0).
    /// </summary>
    public bool AddPlus(scoped ReadOnlySpan<byte> name, in FuseEntryOut entry, long nextOffset)
    {
        if (!IsPlus) return Add(name, entry.Attr.Ino, entry.Attr.Mode & Linux.S_IFMT, nextOffset);
        int size = Align8(EntryOutSize + DirentHeader + name.Length);
        if (size > _capacity - Length) return false;
        byte* p = _buffer + Length;
        Unsafe.WriteUnaligned(p, entry);
        WriteDirent(p + EntryOutSize, name, entry.Attr.Ino, entry.Attr.Mode & Linux.S_IFMT, nextOffset, size - EntryOutSize);
        Length += size;
        Count++;
        return true;
    }

    /// <summary>The most bytes this reply may hold (what the kernel asked for, within the reply buffer).</summary>
    internal readonly int Capacity => _capacity;

    /// <summary>Entries packed elsewhere (the C ABI's fastfuse_add_direntry into the caller's buffer), copied in
    /// as they are. False when they do not fit in what is left.</summary>
    internal bool AppendPacked(scoped ReadOnlySpan<byte> packed)
    {
        if (packed.Length > _capacity - Length) return false;
        packed.CopyTo(new Span<byte>(_buffer + Length, packed.Length));
        Length += packed.Length;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteDirent(byte* p, scoped ReadOnlySpan<byte> name, ulong ino, uint type, long off, int size)
    {
        FuseDirent d;
        d.Ino = ino;
        d.Off = (ulong)off;
        d.Namelen = (uint)name.Length;
        d.Type = (type & Linux.S_IFMT) >> 12; // DT_* equals S_IFMT >> 12
        Unsafe.WriteUnaligned(p, d);
        var dst = new Span<byte>(p + DirentHeader, size - DirentHeader);
        name.CopyTo(dst);
        dst[name.Length..].Clear(); // padding must be zero: it reaches user space
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Align8(int n) => (n + 7) & ~7;
}
