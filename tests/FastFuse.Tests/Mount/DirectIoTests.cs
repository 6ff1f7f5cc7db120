using System.Runtime.InteropServices;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// O_DIRECT through LoopbackFs, whose source lives on ext4 (the filesystem of /tmp here): ext4 refuses O_DIRECT I/O
/// from memory that is not aligned to its block size (EINVAL), where tmpfs takes anything. Every I/O here is
/// aligned in offset, size and user memory, as a database does it; what the daemon does with the data on its way
/// to the source must keep that working: with and without passthrough, and with reads by splice or by pread.
/// </summary>
public abstract unsafe class DirectIoTests(TransportKind transport)
{
    private const int Align = 4096;

    public static TheoryData<bool, bool> Modes() => new()
    {
        { false, true },   // through the daemon, READ replies spliced
        { false, false },  // through the daemon, READ replies by pread + writev
        { true, true },    // passthrough: the kernel does the I/O on the backing file
    };

    private MountedFs Mount(bool passthrough, bool spliceReads)
    {
        var m = MountedFs.Loopback(NoCache + (passthrough ? ",passthrough" : ""),
            sessionOptions: new SessionOptions { Threads = 2, SpliceReads = spliceReads, Transport = transport });
        AssertSourceRefusesUnalignedDirectIo(m.SourcePath!);
        return m;
    }

    /// <summary>The premise of these tests: the source's filesystem refuses O_DIRECT from unaligned memory (ext4 does,
    /// tmpfs does not). Without that, a daemon that passes unaligned buffers on would pass here too.</summary>
    private static void AssertSourceRefusesUnalignedDirectIo(string source)
    {
        string probe = Path.Combine(source, ".probe");
        int fd = Open(probe, O_RDWR | O_CREAT | O_DIRECT);
        var mem = (byte*)NativeMemory.AlignedAlloc(2 * Align, Align);
        try
        {
            Assert.Equal(Align, (int)pwrite(fd, mem, Align, 0));
            long r = pwrite(fd, mem + 80, Align, 0);
            Assert.True(r < 0 && LastErrno == Kernel.Errno.EINVAL,
                $"the source filesystem of {source} accepts O_DIRECT from unaligned memory (tmpfs?): these tests need ext4 or the like");
        }
        finally
        {
            NativeMemory.AlignedFree(mem);
            close(fd);
            unlink(probe);
        }
    }

    /// <summary>Page-aligned native memory for O_DIRECT buffers.</summary>
    private sealed class Aligned : IDisposable
    {
        public readonly byte* P;
        public readonly int Size;
        public Aligned(int size) { Size = size; P = (byte*)NativeMemory.AlignedAlloc((nuint)size, Align); new Span<byte>(P, size).Clear(); }
        public Span<byte> Span => new(P, Size);
        public void Dispose() => NativeMemory.AlignedFree(P);
    }

    private static void DirectWrite(int fd, Aligned buf, int length, long offset)
    {
        long w = pwrite(fd, buf.P, (nuint)length, offset);
        Assert.True(w == length, $"O_DIRECT pwrite of {length} bytes at {offset}: {(w < 0 ? ErrName(LastErrno) : $"{w} bytes")}");
    }

    private static int DirectRead(int fd, Aligned buf, int length, long offset)
    {
        long r = pread(fd, buf.P, (nuint)length, offset);
        Assert.True(r >= 0, $"O_DIRECT pread of {length} bytes at {offset}: {ErrName(LastErrno)}");
        return (int)r;
    }

    [MountTheory]
    [MemberData(nameof(Modes))]
    public void AlignedWritesAndReads_From4KiBTo1MiB_ReadBackExactly(bool passthrough, bool spliceReads)
    {
        using var m = Mount(passthrough, spliceReads);
        int[] sizes = [4096, 8192, 16384, 65536, 131072, 262144, 524288, 1 << 20];
        using var buf = new Aligned(1 << 20);
        var expected = new byte[16 << 20];
        m.Within(TimeSpan.FromSeconds(60), () =>
        {
            int fd = Open(m["f"], O_RDWR | O_CREAT | O_DIRECT);
            try
            {
                long offset = 0;
                for (int i = 0; i < sizes.Length; i++)
                {
                    int size = sizes[i];
                    offset += 3 * Align;                                    // aligned, not a multiple of the size
                    var data = Random(size, 1000 + i);
                    data.CopyTo(buf.Span);
                    DirectWrite(fd, buf, size, offset);
                    data.CopyTo(expected.AsSpan((int)offset));
                    buf.Span.Clear();
                    Assert.Equal(size, DirectRead(fd, buf, size, offset));
                    Assert.True(buf.Span[..size].SequenceEqual(data), $"{size} bytes at {offset} read back differently");
                    offset += size;
                }
                // The whole file in 1 MiB O_DIRECT reads (the last one short, at end of file).
                long length = offset;
                Assert.Equal(length, Fstat(fd).Size);
                for (long pos = 0; pos < length; pos += 1 << 20)
                {
                    int want = (int)Math.Min(1 << 20, ((length - pos + Align - 1) / Align) * Align);
                    int got = DirectRead(fd, buf, want, pos);
                    Assert.Equal((int)Math.Min(1 << 20, length - pos), got);
                    Assert.True(buf.Span[..got].SequenceEqual(expected.AsSpan((int)pos, got)), $"O_DIRECT read at {pos} differs");
                }
            }
            finally { close(fd); }
            // What landed in the source, read without the mount, and through the mount without O_DIRECT.
            var direct = File.ReadAllBytes(Path.Combine(m.SourcePath!, "f"));
            Assert.Equal(Sha256(expected.AsSpan(0, direct.Length)), Sha256(direct));
            Assert.Equal(Sha256(direct), Sha256(ReadFile(m["f"])));
        });
    }

    /// <summary>Random O_DIRECT reads, writes and truncates (as fsx does, on aligned boundaries), checked against a model
    /// of the file after every step; a buffered read of the whole file through the mount at the end.</summary>
    [MountTheory]
    [MemberData(nameof(Modes))]
    public void RandomDirectReadsWritesAndTruncates_MatchAModelOfTheFile(bool passthrough, bool spliceReads)
    {
        const int MaxSize = 4 << 20, Ops = 400;
        using var m = Mount(passthrough, spliceReads);
        var rnd = new Random(passthrough ? 14 : spliceReads ? 41 : 7);
        var model = new byte[MaxSize + (1 << 20)];
        long size = 0;
        using var buf = new Aligned(1 << 20);
        m.Within(TimeSpan.FromSeconds(120), () =>
        {
            int fd = Open(m["x"], O_RDWR | O_CREAT | O_DIRECT);
            try
            {
                for (int op = 0; op < Ops; op++)
                {
                    int kind = rnd.Next(10);
                    int blocks = 1 << rnd.Next(9);                             // 4 KiB .. 1 MiB
                    int len = Math.Min(blocks * Align, 1 << 20);
                    long off = (long)rnd.Next(MaxSize / Align) * Align;
                    string what;
                    if (kind < 5)
                    {
                        rnd.NextBytes(buf.Span[..len]);
                        DirectWrite(fd, buf, len, off);
                        buf.Span[..len].CopyTo(model.AsSpan((int)off));
                        size = Math.Max(size, off + len);
                        what = $"write {len} at {off}";
                    }
                    else if (kind < 9)
                    {
                        int got = DirectRead(fd, buf, len, off);
                        int want = (int)Math.Clamp(size - off, 0, len);
                        Assert.True(got == want, $"op {op}: read {len} at {off} of a {size}-byte file gave {got} bytes, not {want}");
                        Assert.True(buf.Span[..got].SequenceEqual(model.AsSpan((int)off, got)), $"op {op}: read {len} at {off} differs from the model");
                        what = $"read {len} at {off}";
                    }
                    else
                    {
                        long to = rnd.Next(MaxSize);                            // any size, aligned or not
                        Assert.Equal(0, Err(ftruncate(fd, to)));
                        if (to < size) model.AsSpan((int)to, (int)(size - to)).Clear();
                        size = to;
                        what = $"truncate to {to}";
                    }
                    Assert.True(Fstat(fd).Size == size, $"op {op} ({what}): size {Fstat(fd).Size}, model {size}");
                }
            }
            finally { close(fd); }
            Assert.Equal(Sha256(model.AsSpan(0, (int)size)), Sha256(ReadFile(m["x"])));
        });
    }
}

public sealed class DirectIoTests_DevFuse() : DirectIoTests(TransportKind.DevFuse);
public sealed class DirectIoTests_FuseUring() : DirectIoTests(TransportKind.FuseUring);
public sealed class DirectIoTests_Uring() : DirectIoTests(TransportKind.Uring);
