using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>Random content written in unaligned pieces at an unaligned offset, read back with unaligned chunks, verified by SHA-256,
/// through the page cache and with direct_io.</summary>
public abstract class DataRoundTripTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    public static TheoryData<int, long, bool> Cases()
    {
        var d = new TheoryData<int, long, bool>();
        var sizes = new (int Size, long Offset)[]
        {
            (0, 0), (1, 7), (4095, 4093), (4096, 0), (4097, 131075), (131071, 7), (131073, 4093),
            (1 << 20, 131075), ((1 << 20) + 1, 7), (16 << 20, 4093),
        };
        foreach (bool direct in new[] { false, true })
            foreach (var (size, offset) in sizes) d.Add(size, offset, direct);
        return d;
    }

    private static readonly int[] WritePieces = { 7, 4093, 131075, 65536, 1, 300_001 };
    private static readonly int[] ReadPieces = { 4099, 13, 65537, 131071, 3, 1 << 20 };

    [MountTheory]
    [MemberData(nameof(Cases))]
    public void RandomContent_RoundTrips(int size, long offset, bool directIo)
    {
        // A short unmount timeout: after a hung request (below) the unmount does not wait long for the stuck worker.
        using var m = Mount(NoCache + (directIo ? ",direct_io" : ""), new Session.SessionOptions { Threads = 2, UnmountTimeout = TimeSpan.FromSeconds(1) });
        var data = Random(size, size ^ (int)offset ^ (directIo ? 77 : 0));
        string expected = Sha256(data);

        // Under a watchdog: a READ the daemon never answers (LoopbackFs, direct_io, 16 MiB at offset 4093: the splice of
        // the reply into the worker's pipe blocks for ever) fails this case instead of hanging the suite.
        m.Within(TimeSpan.FromSeconds(10), () => // 16 MiB takes well under a second
        {
            int fd = Open(m["f"], O_RDWR | O_CREAT | O_EXCL, 0x1A4);
            try
            {
                long pos = 0;
                for (int i = 0; pos < size; i++)
                {
                    int n = (int)Math.Min(WritePieces[i % WritePieces.Length], size - pos);
                    PwriteAll(fd, data.AsSpan((int)pos, n), offset + pos);
                    pos += n;
                }
                Assert.Equal(size == 0 ? 0 : offset + size, Fstat(fd).Size);
            }
            finally { close(fd); }

            // Read back on a fresh descriptor (through the cache, or not, as mounted).
            fd = Open(m["f"], O_RDONLY);
            try
            {
                var back = new byte[size];
                long pos = 0;
                for (int i = 0; pos < size; i++)
                {
                    int want = (int)Math.Min(ReadPieces[i % ReadPieces.Length], size - pos);
                    int got = Pread(fd, back.AsSpan((int)pos, want), offset + pos);
                    Assert.True(got > 0, $"short read at {offset + pos}");
                    pos += got;
                }
                Assert.Equal(expected, Sha256(back));
                Assert.Equal(0, Pread(fd, new byte[16], offset + size)); // EOF
                if (offset > 0 && size > 0)
                {
                    var head = new byte[offset];
                    Assert.Equal((int)offset, PreadFull(fd, head, 0));
                    Assert.True(head.AsSpan().IndexOfAnyExcept((byte)0) < 0, "the gap before the data reads as zeros");
                }
            }
            finally { close(fd); }
        });
    }
}

public sealed class DataRoundTripTests_MemFs() : DataRoundTripTests(FsKind.MemFs);
public sealed class DataRoundTripTests_Loopback() : DataRoundTripTests(FsKind.Loopback);

public sealed class DataRoundTripTests_MemFs_FuseUring() : DataRoundTripTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class DataRoundTripTests_MemFs_Uring() : DataRoundTripTests(FsKind.MemFs, TransportKind.Uring);
public sealed class DataRoundTripTests_Loopback_FuseUring() : DataRoundTripTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class DataRoundTripTests_Loopback_Uring() : DataRoundTripTests(FsKind.Loopback, TransportKind.Uring);
public sealed class DataRoundTripTests_MemFs_Writeback() : DataRoundTripTests(FsKind.MemFs);
public sealed class DataRoundTripTests_Loopback_Writeback() : DataRoundTripTests(FsKind.Loopback);
