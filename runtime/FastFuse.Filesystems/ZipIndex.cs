using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace FastFuse.Filesystems;

/// <summary>One entry of a zip archive's central directory: what a file's node needs to answer stat and to find its
/// data, which is read by pread (<see cref="RandomAccess"/>) so that any number of workers read at once.</summary>
internal sealed class ZipEntryInfo
{
    public const ushort Stored = 0, Deflated = 8;

    /// <summary>Position in the central directory.</summary>
    public int Index;
    /// <summary>The path as stored ('/'-separated; bytes, as FUSE names are).</summary>
    public byte[] Name = [];
    public ushort Method;
    /// <summary>General purpose flags; bit 0: encrypted.</summary>
    public ushort Flags;
    public long CompressedSize;
    public long Size;
    public long LocalHeaderOffset;
    /// <summary>MS-DOS date (high 16 bits) and time (low 16 bits), local time, 2 s steps.</summary>
    public uint DosDateTime;
    /// <summary>Modification time from the extended timestamp field (0x5455, UTC seconds), when present.</summary>
    public long? UnixMtime;
    /// <summary>st_mode from the external attributes of an archive made on Unix; 0 when it has none.</summary>
    public uint UnixMode;
    /// <summary>Where the data starts: read from the local header on first use; -1 until then.</summary>
    public long DataOffset = -1;

    public bool IsEncrypted => (Flags & 1) != 0;
}

/// <summary>
/// Reads a zip archive's central directory (end of central directory record, ZIP64 end record and locator, central
/// file headers with their ZIP64 and extended timestamp extra fields) and, lazily, an entry's local header. Every
/// inconsistency is an <see cref="InvalidDataException"/> with one line saying what is wrong.
/// </summary>
internal static class ZipIndex
{
    private const uint EndSignature = 0x06054b50, Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50, LocalSignature = 0x04034b50;
    private const int EndSize = 22, Zip64LocatorSize = 20, Zip64EndSize = 56, CentralSize = 46, LocalSize = 30;

    /// <summary>The entries of the archive open as <paramref name="file"/> (<paramref name="length"/> bytes).</summary>
    public static List<ZipEntryInfo> Read(SafeFileHandle file, long length)
    {
        if (length < EndSize) throw new InvalidDataException($"not a zip archive ({length} bytes: too short for an end of central directory record)");
        int tailLength = (int)Math.Min(length, EndSize + 0xFFFF);
        var tail = new byte[tailLength];
        ReadExactly(file, tail, length - tailLength);
        int end = FindEnd(tail);
        if (end < 0) throw new InvalidDataException("not a zip archive (no end of central directory record)");
        long endPos = length - tailLength + end;
        var e = tail.AsSpan(end);
        ushort disk = U16(e, 4), cdDisk = U16(e, 6);
        long count = U16(e, 10), cdSize = U32(e, 12), cdOffset = U32(e, 16);
        bool zip64 = false;
        if (endPos >= Zip64LocatorSize)
        {
            var loc = new byte[Zip64LocatorSize];
            ReadExactly(file, loc, endPos - Zip64LocatorSize);
            if (U32(loc, 0) == Zip64LocatorSignature)
            {
                long recordPos = (long)U64(loc, 8);
                if (recordPos < 0 || recordPos > endPos - Zip64LocatorSize - Zip64EndSize)
                    throw new InvalidDataException("ZIP64 end of central directory locator points outside the archive");
                var rec = new byte[Zip64EndSize];
                ReadExactly(file, rec, recordPos);
                if (U32(rec, 0) != Zip64EndSignature) throw new InvalidDataException("ZIP64 end of central directory record not found where its locator says");
                disk = (ushort)Math.Min(U32(rec, 16), ushort.MaxValue);
                cdDisk = (ushort)Math.Min(U32(rec, 20), ushort.MaxValue);
                count = (long)U64(rec, 32);
                cdSize = (long)U64(rec, 40);
                cdOffset = (long)U64(rec, 48);
                endPos = recordPos;
                zip64 = true;
            }
        }
        if (disk != 0 || cdDisk != 0) throw new InvalidDataException("spanned (multi-disk) zip archives are not supported");
        if (cdSize < 0 || cdOffset < 0 || cdSize > endPos || cdSize > int.MaxValue || count < 0 || count > cdSize / CentralSize)
            throw new InvalidDataException($"the central directory ({count} entries, {cdSize} bytes at {cdOffset}) does not fit the archive");
        // Data prepended to the archive (a self-extractor's stub) shifts every offset: the directory ends where the
        // end record starts.
        long delta = zip64 ? 0 : endPos - cdSize - cdOffset;
        if (delta < 0) throw new InvalidDataException("the central directory overlaps its end record");
        var cd = new byte[cdSize];
        ReadExactly(file, cd, cdOffset + delta);
        return ParseCentral(cd, (int)count, delta, length);
    }

    /// <summary>The last end record whose comment length fits what follows it.</summary>
    private static int FindEnd(ReadOnlySpan<byte> tail)
    {
        for (int i = tail.Length - EndSize; i >= 0; i--)
            if (U32(tail, i) == EndSignature && i + EndSize + U16(tail, i + 20) <= tail.Length) return i;
        return -1;
    }

    private static List<ZipEntryInfo> ParseCentral(byte[] cd, int count, long delta, long archiveLength)
    {
        var list = new List<ZipEntryInfo>(count);
        int p = 0;
        for (int i = 0; i < count; i++)
        {
            if (p + CentralSize > cd.Length || U32(cd, p) != CentralSignature)
                throw new InvalidDataException($"central directory entry {i} is damaged (no header at offset {p})");
            var h = cd.AsSpan(p);
            int nameLen = U16(h, 28), extraLen = U16(h, 30), commentLen = U16(h, 32);
            if (p + CentralSize + nameLen + extraLen + commentLen > cd.Length)
                throw new InvalidDataException($"central directory entry {i} runs past the directory");
            var info = new ZipEntryInfo
            {
                Index = i,
                Flags = U16(h, 8),
                Method = U16(h, 10),
                DosDateTime = (uint)U16(h, 14) << 16 | U16(h, 12),
                CompressedSize = U32(h, 20),
                Size = U32(h, 24),
                LocalHeaderOffset = U32(h, 42),
                Name = h.Slice(CentralSize, nameLen).ToArray(),
            };
            int host = U16(h, 4) >> 8;
            uint external = U32(h, 38);
            if ((host == 3 || host == 19) && external >> 16 != 0) info.UnixMode = external >> 16;   // Unix, OS X
            ReadExtra(h.Slice(CentralSize + nameLen, extraLen), info, U16(h, 34) == 0xFFFF);
            info.LocalHeaderOffset += delta;
            if (info.Size < 0 || info.CompressedSize < 0 || info.LocalHeaderOffset < 0 || info.LocalHeaderOffset > archiveLength - LocalSize)
                throw new InvalidDataException($"entry '{System.Text.Encoding.UTF8.GetString(info.Name)}' points outside the archive");
            list.Add(info);
            p += CentralSize + nameLen + extraLen + commentLen;
        }
        return list;
    }

    /// <summary>The ZIP64 sizes and offset (present for each field saturated in the header, in this order) and the
    /// extended timestamp's modification time.</summary>
    private static void ReadExtra(ReadOnlySpan<byte> extra, ZipEntryInfo info, bool diskSaturated)
    {
        while (extra.Length >= 4)
        {
            ushort id = U16(extra, 0), len = U16(extra, 2);
            if (4 + len > extra.Length) break;
            var body = extra.Slice(4, len);
            if (id == 0x0001)
            {
                int q = 0;
                if (info.Size == uint.MaxValue && q + 8 <= body.Length) { info.Size = (long)U64(body, q); q += 8; }
                if (info.CompressedSize == uint.MaxValue && q + 8 <= body.Length) { info.CompressedSize = (long)U64(body, q); q += 8; }
                if (info.LocalHeaderOffset == uint.MaxValue && q + 8 <= body.Length) { info.LocalHeaderOffset = (long)U64(body, q); q += 8; }
                if (diskSaturated && q + 4 <= body.Length && U32(body, q) != 0) throw new InvalidDataException("spanned (multi-disk) zip archives are not supported");
            }
            else if (id == 0x5455 && len >= 5 && (body[0] & 1) != 0)
            {
                info.UnixMtime = U32(body, 1);
            }
            extra = extra[(4 + len)..];
        }
    }

    /// <summary>Where <paramref name="e"/>'s data starts, from its local header (read once, then kept).</summary>
    public static long DataOffset(SafeFileHandle file, long archiveLength, ZipEntryInfo e)
    {
        long known = Volatile.Read(ref e.DataOffset);
        if (known >= 0) return known;
        Span<byte> h = stackalloc byte[LocalSize];
        ReadExactly(file, h, e.LocalHeaderOffset);
        if (U32(h, 0) != LocalSignature) throw new InvalidDataException($"entry {e.Index}: no local header at offset {e.LocalHeaderOffset}");
        long data = e.LocalHeaderOffset + LocalSize + U16(h, 26) + U16(h, 28);
        if (data + e.CompressedSize > archiveLength) throw new InvalidDataException($"entry {e.Index}: its data runs past the end of the archive");
        Volatile.Write(ref e.DataOffset, data);
        return data;
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(file, buffer, offset);
            if (n <= 0) throw new InvalidDataException($"the archive ends before offset {offset + buffer.Length}");
            buffer = buffer[n..];
            offset += n;
        }
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
