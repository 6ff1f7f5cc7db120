using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace FastFuse.Filesystems;

/// <summary>A range of the archive as a forward-only stream, read by pread: many of these read one descriptor at once.</summary>
internal sealed class ArchiveRange(SafeFileHandle file, long start, long length) : Stream
{
    private long _pos = start;
    private readonly long _end = start + length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        int want = (int)Math.Min(buffer.Length, _end - _pos);
        if (want <= 0) return 0;
        int n = RandomAccess.Read(file, buffer[..want], _pos);
        _pos += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A place in the decompression of one deflated entry: it yields the entry's 64 KiB blocks in order, from the start.
/// Deflate cannot be resumed in the middle without the decompressor's state, so going back means a new cursor from
/// the start (the block cache serves the blocks already seen). Not thread-safe: its owner holds a lock.
/// </summary>
internal sealed class InflateCursor : IDisposable
{
    private readonly DeflateStream _inflate;
    private readonly long _size;

    public InflateCursor(SafeFileHandle file, long dataOffset, ZipEntryInfo entry)
    {
        _inflate = new DeflateStream(new ArchiveRange(file, dataOffset, entry.CompressedSize), CompressionMode.Decompress);
        _size = entry.Size;
    }

    /// <summary>The block the next <see cref="ReadBlock"/> decompresses.</summary>
    public long NextBlock { get; private set; }

    /// <summary>True once every block has been read.</summary>
    public bool AtEnd => NextBlock << ZipBlockCache.BlockShift >= _size;

    /// <summary>Length of block <paramref name="block"/> of an entry of <paramref name="size"/> bytes.</summary>
    public static int BlockLength(long size, long block) =>
        (int)Math.Min(ZipBlockCache.BlockSize, size - (block << ZipBlockCache.BlockShift));

    /// <summary>Decompress block <see cref="NextBlock"/> into <paramref name="buffer"/>; its length.</summary>
    /// <exception cref="InvalidDataException">The entry's data is damaged or shorter than its size says.</exception>
    public int ReadBlock(Span<byte> buffer)
    {
        int length = BlockLength(_size, NextBlock);
        var dst = buffer[..length];
        while (!dst.IsEmpty)
        {
            int n = _inflate.Read(dst);
            if (n <= 0) throw new InvalidDataException($"deflated data ends {dst.Length} bytes before block {NextBlock} is complete");
            dst = dst[n..];
        }
        NextBlock++;
        return length;
    }

    public void Dispose() => _inflate.Dispose();
}
