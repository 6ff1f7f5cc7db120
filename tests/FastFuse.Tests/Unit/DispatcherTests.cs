using System.Buffers.Binary;
using System.Text;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Tests.Unit;

/// <summary>
/// Request decoding and reply encoding without a mount: hand-built kernel bytes in, exact reply bytes out
/// (fuse_out_header: len, -errno, unique; then the payload).
/// </summary>
public sealed class DispatcherTests
{
    private const int EntryOutSize = 128, AttrOutSize = 104, OpenOutSize = 16, InitOutSize = 64;
    private const uint S_IFDIR = 0x4000, S_IFREG = 0x8000;

    private static MemFs NewMemFs(bool negativeCache = false) =>
        new(new MemFsOptions { NegativeTimeout = negativeCache ? TimeSpan.FromSeconds(1) : TimeSpan.Zero, RootUid = 1000, RootGid = 1000 });

    // ------------------------------------------------------------------ INIT

    [Fact]
    public void Init_NegotiatesVersionLimitsAndOfferedFlags()
    {
        using var h = new Harness(NewMemFs());
        uint offered = Req.AsyncRead | Req.BigWrites | Req.MaxPages | Req.InitExt;
        var r = h.Call(Req.Init(1, 7, 45, 128 * 1024, offered));

        Assert.Equal(0, r.Error);
        Assert.Equal(16u + InitOutSize, r.Len);
        Assert.Equal(7u, r.U32(0));                 // major
        Assert.Equal(45u, r.U32(4));                // minor = min(45, 45)
        Assert.Equal(128u * 1024, r.U32(8));        // max_readahead: what the kernel offered (≤ max_write)
        uint flags = r.U32(12);
        Assert.Equal(offered, flags & offered);     // everything offered and wanted comes back
        Assert.Equal(0u, flags & ~offered);         // nothing that was not offered
        Assert.Equal(0u, flags & Req.ParallelDirops); // wanted by MemFs, not offered → not set
        Assert.Equal(1u << 20, r.U32(20));          // max_write 1 MiB
        Assert.Equal((ushort)256, r.U16(28));       // max_pages
        Assert.Equal(0u, r.U32(32));                // flags2: nothing in the high word offered
        Assert.True(h.Session.Initialized);
        var c = h.Session.Connection;
        Assert.Equal(45u, c.Minor);
        Assert.Equal(offered, (uint)(ulong)c.Negotiated);
    }

    [Fact]
    public void Init_NotOfferingMaxPages_CapsMaxWriteAt32Pages()
    {
        using var h = new Harness(NewMemFs());
        var r = h.Call(Req.Init(1, 7, 45, 1 << 20, Req.AsyncRead | Req.BigWrites | Req.InitExt));
        Assert.Equal(0, r.Error);
        Assert.Equal(0u, r.U32(12) & Req.MaxPages);
        Assert.Equal(32u * 4096, r.U32(20));        // max_write without max_pages
        Assert.Equal(32u * 4096, r.U32(8));         // max_readahead clamped to max_write
        Assert.Equal((ushort)32, r.U16(28));
    }

    [Fact]
    public void Init_OlderKernelMinor_IsEchoed()
    {
        using var h = new Harness(NewMemFs());
        var r = h.Call(Req.Init(1, 7, 44, 65536, Req.AsyncRead));
        Assert.Equal(0, r.Error);
        Assert.Equal(7u, r.U32(0));
        Assert.Equal(44u, r.U32(4));
        Assert.Equal(Req.AsyncRead, r.U32(12));
    }

    [Fact]
    public void Init_NewerKernelMajor_AnswersOurMajorOnly_ThenAcceptsTheRetry()
    {
        using var h = new Harness(NewMemFs());
        var r = h.Call(Req.Init(1, 8, 0, 65536, Req.AsyncRead));
        Assert.Equal(0, r.Error);
        Assert.Equal(16u + 8, r.Len);               // only major and minor
        Assert.Equal(7u, r.U32(0));
        Assert.Equal(45u, r.U32(4));
        Assert.False(h.Session.Initialized);

        var again = h.Call(Req.Init(2, 7, 45, 65536, Req.AsyncRead));
        Assert.Equal(0, again.Error);
        Assert.Equal(16u + InitOutSize, again.Len);
        Assert.True(h.Session.Initialized);
    }

    [Fact]
    public void Init_TooOldMinor_IsEPROTO()
    {
        using var h = new Harness(NewMemFs());
        var r = h.Call(Req.Init(1, 7, 30, 65536, 0));
        Assert.Equal(-Errno.EPROTO, r.Error);
        Assert.Equal(16u, r.Len);
        Assert.False(h.Session.Initialized);
    }

    [Fact]
    public void Init_Twice_IsEPROTO_AndCounted()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        long before = h.Stats.ProtocolErrors;
        var r = h.Call(Req.Init(2, 7, 45, 65536, Req.AsyncRead));
        Assert.Equal(-Errno.EPROTO, r.Error);
        Assert.Equal(before + 1, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void RequestBeforeInit_IsEIO()
    {
        using var h = new Harness(NewMemFs());
        var r = h.Call(Req.Getattr(5, 1));
        Assert.Equal(-Errno.EIO, r.Error);
        Assert.Equal(16u, r.Len);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    // ------------------------------------------------------------------ LOOKUP, MKDIR, CREATE, GETATTR

    [Fact]
    public void Lookup_Missing_IsENOENT_WithoutNegativeCache()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(Req.Lookup(10, 1, "nope"));
        Assert.Equal(16u, r.Len);
        Assert.Equal(-Errno.ENOENT, r.Error);
        Assert.Equal(10ul, r.Unique);
    }

    [Fact]
    public void Lookup_Missing_WithNegativeCache_IsEntryWithNodeIdZero()
    {
        using var h = new Harness(NewMemFs(negativeCache: true));
        h.Init();
        var r = h.Call(Req.Lookup(10, 1, "nope"));
        Assert.Equal(0, r.Error);
        Assert.Equal(16u + EntryOutSize, r.Len);
        Assert.Equal(0ul, r.U64(0));                 // nodeid 0: a cached miss
        Assert.Equal(1ul, r.U64(16));                // entry_valid 1 s
    }

    [Fact]
    public void Mkdir_ThenLookup_ReturnsTheSameEntry()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var mk = h.Call(Req.Mkdir(20, 1, "dir", mode: 0x1FF, umask: 0x12));
        Assert.Equal(0, mk.Error);
        Assert.Equal(16u + EntryOutSize, mk.Len);
        ulong node = mk.U64(0);
        Assert.NotEqual(0ul, node);
        Assert.NotEqual(1ul, node);
        Assert.Equal(node, mk.U64(40));              // attr.ino
        Assert.Equal(S_IFDIR | 0x1ED, mk.U32(100));  // 0777 & ~022
        Assert.Equal(2u, mk.U32(104));               // nlink
        Assert.Equal(1000u, mk.U32(108));            // uid from the header
        Assert.Equal(1ul, mk.U64(16));               // entry_valid (default 1 s)

        var lk = h.Call(Req.Lookup(21, 1, "dir"));
        Assert.Equal(0, lk.Error);
        Assert.Equal(node, lk.U64(0));
        Assert.Equal(S_IFDIR | 0x1ED, lk.U32(100));

        // The new directory's own lookup of "." is itself.
        Assert.Equal(node, h.Call(Req.Lookup(22, node, ".")).U64(0));
        // The same name again is EEXIST.
        Assert.Equal(-17, h.Call(Req.Mkdir(23, 1, "dir")).Error);
        // A lookup in a file is ENOTDIR.
        var cr = h.Call(Req.Create(24, 1, "f"));
        Assert.Equal(-20, h.Call(Req.Lookup(25, cr.U64(0), "x")).Error);
    }

    [Fact]
    public void Create_ReturnsEntryAndOpen_ThenGetattr()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var cr = h.Call(Req.Create(30, 1, "file.txt"));
        Assert.Equal(0, cr.Error);
        Assert.Equal(16u + EntryOutSize + OpenOutSize, cr.Len);
        ulong node = cr.U64(0);
        Assert.NotEqual(0ul, node);
        Assert.Equal(S_IFREG | 0x1A4, cr.U32(100));   // 0666 & ~022
        Assert.Equal(1u, cr.U32(104));
        ulong fh = cr.U64(EntryOutSize);              // open_out.fh after the entry
        Assert.NotEqual(0ul, fh);                     // MemFs hands out a handle per open (OFD locks end with it)
        var again = h.Call(Req.Create(32, 1, "other.txt"));
        Assert.NotEqual(fh, again.U64(EntryOutSize));

        var ga = h.Call(Req.Getattr(31, node));
        Assert.Equal(0, ga.Error);
        Assert.Equal(16u + AttrOutSize, ga.Len);
        Assert.Equal(1ul, ga.U64(0));                 // attr_valid
        Assert.Equal(node, ga.U64(16));               // attr.ino
        Assert.Equal(0ul, ga.U64(24));                // size
        Assert.Equal(S_IFREG | 0x1A4, ga.U32(16 + 60));
        Assert.Equal(1000u, ga.U32(16 + 68));         // uid

        Assert.Equal(-Errno.ENOENT, h.Call(Req.Getattr(32, 0xDEAD_0000_0042)).Error);
    }

    [Fact]
    public void Write_ThenRead4K_ReturnsTheBytes()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var cr = h.Call(Req.Create(40, 1, "data"));
        ulong node = cr.U64(0), fh = cr.U64(EntryOutSize);
        var data = new byte[4096];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + 3);

        var wr = h.Call(Req.Write(41, node, fh, 0, data));
        Assert.Equal(0, wr.Error);
        Assert.Equal(16u + 8, wr.Len);
        Assert.Equal(4096u, wr.U32(0));               // write_out.size
        Assert.Equal(0u, wr.U32(4));                  // padding

        var rd = h.Call(Req.Read(42, node, fh, 0, 4096));
        Assert.Equal(0, rd.Error);
        Assert.Equal(16u + 4096, rd.Len);
        Assert.True(rd.Payload.SequenceEqual(data));

        // A read across the end is short; a read past it is empty.
        var tail = h.Call(Req.Read(43, node, fh, 4000, 4096));
        Assert.Equal(16u + 96, tail.Len);
        Assert.True(tail.Payload.SequenceEqual(data.AsSpan(4000)));
        var past = h.Call(Req.Read(44, node, fh, 8192, 4096));
        Assert.Equal(0, past.Error);
        Assert.Equal(16u, past.Len);

        Assert.Equal(4096ul, h.Call(Req.Getattr(45, node)).U64(24));
    }

    [Fact]
    public void Write_SizeLargerThanData_IsEINVAL_AndCounted()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var cr = h.Call(Req.Create(40, 1, "data"));
        ulong node = cr.U64(0);
        var req = Req.Write(41, node, node, 0, new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(req.AsSpan(40 + 16), 1000);   // size field lies
        long before = h.Stats.ProtocolErrors;
        Assert.Equal(-Errno.EINVAL, h.Call(req).Error);
        Assert.Equal(before + 1, h.Stats.ProtocolErrors);
    }

    // ------------------------------------------------------------------ READDIR

    private sealed record Dirent(ulong Ino, ulong Off, uint Type, string Name, int RecordLength);

    private static List<Dirent> ParseDirents(Reply r)
    {
        var list = new List<Dirent>();
        var p = r.Payload;
        int pos = 0;
        while (pos < p.Length)
        {
            Assert.True(p.Length - pos >= 24, "truncated dirent header");
            ulong ino = BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]);
            ulong off = BinaryPrimitives.ReadUInt64LittleEndian(p[(pos + 8)..]);
            uint namelen = BinaryPrimitives.ReadUInt32LittleEndian(p[(pos + 16)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(p[(pos + 20)..]);
            int rec = (24 + (int)namelen + 7) & ~7;
            Assert.True(pos + rec <= p.Length, "dirent runs past the reply");
            string name = Encoding.UTF8.GetString(p.Slice(pos + 24, (int)namelen));
            // Padding up to the 8-byte boundary is zero.
            foreach (byte b in p.Slice(pos + 24 + (int)namelen, rec - 24 - (int)namelen)) Assert.Equal(0, b);
            list.Add(new Dirent(ino, off, type, name, rec));
            pos += rec;
        }
        Assert.Equal(p.Length, pos);
        return list;
    }

    [Fact]
    public void Readdir_PacksAlignedDirentsWithOffsets_AndResumes()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        ulong dirNode = h.Call(Req.Mkdir(50, 1, "d")).U64(0);
        ulong a = h.Call(Req.Create(51, dirNode, "a")).U64(0);
        ulong bb = h.Call(Req.Mkdir(52, dirNode, "bb")).U64(0);
        ulong c = h.Call(Req.Create(53, dirNode, "ccccccccc")).U64(0);     // 24 + 9 = 33 → 40

        var od = h.Call(Req.Open(54, dirNode, 0, Opcode.Opendir));
        Assert.Equal(0, od.Error);
        Assert.Equal(16u + OpenOutSize, od.Len);
        ulong fh = od.U64(0);

        var rd = h.Call(Req.Read(55, dirNode, fh, 0, 4096, Opcode.Readdir));
        Assert.Equal(0, rd.Error);
        var ents = ParseDirents(rd);
        Assert.Equal(new[] { ".", "..", "a", "bb", "ccccccccc" }, ents.Select(e => e.Name));
        Assert.Equal(new[] { dirNode, 1ul, a, bb, c }, ents.Select(e => e.Ino));
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }, ents.Select(e => e.Off));
        Assert.Equal(new uint[] { 4, 4, 8, 4, 8 }, ents.Select(e => e.Type));      // DT_DIR, DT_REG
        Assert.Equal(new[] { 32, 32, 32, 32, 40 }, ents.Select(e => e.RecordLength));
        Assert.Equal(16u + 32 + 32 + 32 + 32 + 40, rd.Len);

        // Resume after "a" (offset 3): the rest only.
        var rest = ParseDirents(h.Call(Req.Read(56, dirNode, fh, 3, 4096, Opcode.Readdir)));
        Assert.Equal(new[] { "bb", "ccccccccc" }, rest.Select(e => e.Name));

        // A buffer that holds one and a half records gets exactly one record.
        var small = h.Call(Req.Read(57, dirNode, fh, 0, 56, Opcode.Readdir));
        Assert.Equal(16u + 32, small.Len);
        Assert.Equal(".", ParseDirents(small).Single().Name);

        // Past the end: empty.
        var end = h.Call(Req.Read(58, dirNode, fh, 5, 4096, Opcode.Readdir));
        Assert.Equal(0, end.Error);
        Assert.Equal(16u, end.Len);
    }

    [Fact]
    public void Readdirplus_PacksEntryOutBeforeEachDirent()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        ulong f = h.Call(Req.Create(60, 1, "xyz")).U64(0);
        var r = h.Call(Req.Read(61, 1, 1, 2, 4096, Opcode.Readdirplus));  // from after ".."
        Assert.Equal(0, r.Error);
        int rec = (152 + 3 + 7) & ~7;
        Assert.Equal(16u + (uint)rec, r.Len);
        Assert.Equal(f, r.U64(0));                       // entry_out.nodeid
        Assert.Equal(S_IFREG | 0x1A4, r.U32(100));       // entry_out.attr.mode
        Assert.Equal(f, r.U64(128));                     // dirent.ino
        Assert.Equal(3ul, r.U64(136));                   // dirent.off
        Assert.Equal(3u, r.U32(144));                    // namelen
        Assert.Equal(8u, r.U32(148));                    // DT_REG
        Assert.Equal("xyz"u8.ToArray(), r.Payload.Slice(152, 3).ToArray());
    }

    // ------------------------------------------------------------------ errors and odd opcodes

    [Theory]
    [InlineData(99u)]
    [InlineData(49u)]     // REMOVEMAPPING: DAX only, no row
    [InlineData(48u)]     // SETUPMAPPING: DAX only, no row
    [InlineData(4096u)]   // CUSE_INIT
    [InlineData(uint.MaxValue)]
    public void UnknownOpcode_IsENOSYS_AndCounted(uint opcode)
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(new Req(opcode, 77, 1).U64(0));
        Assert.Equal(-Errno.ENOSYS, r.Error);
        Assert.Equal(16u, r.Len);
        Assert.Equal(1, h.Stats.Unimplemented);
        Assert.Equal(0, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void OpcodeTheFsDoesNotImplement_IsENOSYS()
    {
        using var h = new Harness(new ForgetRecorder());
        h.Init();
        Assert.Equal(-Errno.ENOSYS, h.Call(Req.Lookup(5, 1, "x")).Error);
    }

    [Fact]
    public void ThrowingHandler_IsEIO_AndCounted_AndTheWorkerGoesOn()
    {
        var fs = new ThrowingFs();
        using var h = new Harness(fs);
        h.Init();
        var r = h.Call(Req.Getattr(80, 1));
        Assert.Equal(-Errno.EIO, r.Error);
        Assert.Equal(16u, r.Len);
        Assert.Equal(80ul, r.Unique);
        Assert.Equal(1, fs.Calls);
        Assert.Equal(1, h.Stats.HandlerExceptions);
        Assert.Equal(1, h.Stats.ErrorsOf(Opcode.Getattr));

        var again = h.Call(Req.Getattr(81, 1));
        Assert.Equal(-Errno.EIO, again.Error);
        Assert.Equal(2, h.Stats.HandlerExceptions);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(512)]
    public void HandlerReturningANonErrno_IsEIO(int value)
    {
        using var h = new Harness(new BadStatusFs { Value = value });
        h.Init();
        Assert.Equal(-Errno.EIO, h.Call(Req.Getattr(82, 1)).Error);
    }

    [Fact]
    public void Forget_AndBatchForget_ProduceNoReply()
    {
        var fs = new ForgetRecorder();
        using var h = new Harness(fs);
        h.Init();
        long replies = h.Replies;

        Assert.Null(h.Send(Req.Forget(90, 0x1234, 3)));
        Assert.Null(h.Send(Req.BatchForget(91, 2, (7, 1), (8, 2))));
        Assert.Equal(replies, h.Replies);
        Assert.Equal(new (ulong, ulong)[] { (0x1234, 3), (7, 1), (8, 2) }, fs.Forgets);
        Assert.Equal(1, fs.BatchCalls);
        Assert.Equal(3, h.Stats.Forgets);
        Assert.Equal(1, h.Stats.CountOf(Opcode.Forget));
        Assert.Equal(1, h.Stats.CountOf(Opcode.BatchForget));
        Assert.Equal(0, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void Forget_ReleasesMemFsNodes()
    {
        var fs = NewMemFs();
        using var h = new Harness(fs);
        h.Init();
        ulong node = h.Call(Req.Mkdir(1, 1, "gone")).U64(0);
        int live = fs.LiveNodes;
        Assert.Equal(0, h.Call(new Req(Opcode.Rmdir, 2, 1).Name("gone")).Error);
        Assert.Equal(live, fs.LiveNodes);               // the kernel still holds its lookup
        Assert.Null(h.Send(Req.Forget(3, node, 1)));
        Assert.Equal(live - 1, fs.LiveNodes);
    }

    [Fact]
    public void BatchForget_WithAHugeCount_IsClampedToWhatTheRequestHolds()
    {
        var fs = new ForgetRecorder();
        using var h = new Harness(fs);
        h.Init();
        long replies = h.Replies;
        Assert.Null(h.Send(Req.BatchForget(92, uint.MaxValue, (11, 1), (12, 1))));
        Assert.Null(h.Send(Req.BatchForget(93, 1_000_000, (13, 5))));
        Assert.Equal(replies, h.Replies);
        Assert.Equal(new (ulong, ulong)[] { (11, 1), (12, 1), (13, 5) }, fs.Forgets);
        Assert.Equal(2, h.Stats.ProtocolErrors);
        Assert.Equal(3, h.Stats.Forgets);
    }

    [Fact]
    public void BatchForget_WithAPartialTrailingEntry_UsesOnlyWholeEntries()
    {
        var fs = new ForgetRecorder();
        using var h = new Harness(fs);
        h.Init();
        var req = new Req(Opcode.BatchForget, 94, 0).U32(2).U32(0).U64(21).U64(1).U64(22).Build(); // second entry cut short
        Assert.Null(h.Send(req));
        Assert.Equal(new (ulong, ulong)[] { (21, 1) }, fs.Forgets);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    // ------------------------------------------------------------------ INTERRUPT and deferred replies

    [Fact]
    public void Interrupt_IsSeenByADeferredHandler_WhichRepliesLater()
    {
        var fs = new DeferringFs { Defer = true };
        using var h = new Harness(fs);
        h.Init();
        long replies = h.Replies;

        Assert.Null(h.Send(Req.Getattr(100, 1)));                  // deferred: nothing yet
        Assert.NotNull(fs.Pending);
        Assert.Equal(100ul, fs.Pending!.Unique);
        Assert.False(fs.Context.IsInterrupted);
        Assert.False(fs.Pending.IsInterrupted);
        Assert.Equal(1, h.Stats.PendingInFlight);

        Assert.Null(h.Send(Req.Interrupt(101, 100)));              // INTERRUPT gets no reply
        Assert.Equal(replies, h.Replies);
        Assert.Equal(1, h.Stats.InterruptsReceived);
        Assert.True(fs.Context.IsInterrupted);
        Assert.True(fs.Pending.IsInterrupted);

        fs.Pending.Error(Errno.EINTR);                              // answered from "another thread", later
        Assert.Equal(replies + 1, h.Replies);
        var r = new Reply(h.Channel.LastReply);
        Assert.Equal(16u, r.Len);
        Assert.Equal(-Errno.EINTR, r.Error);
        Assert.Equal(100ul, r.Unique);
        Assert.Equal(0, h.Stats.PendingInFlight);
        Assert.False(fs.Pending.IsInterrupted);                     // answered: the mark is gone
        Assert.Throws<InvalidOperationException>(() => fs.Pending.Ok());   // exactly once
    }

    [Fact]
    public void DeferredReply_WithAPayload_ArrivesWithTheUniqueOfItsRequest()
    {
        var fs = new DeferringFs { Defer = true };
        using var h = new Harness(fs);
        h.Init();
        Assert.Null(h.Send(Req.Getattr(110, 1)));
        // Hold the first reply: dropped, its finalizer would answer EIO on this channel whenever a GC runs,
        // possibly after the second reply, and LastReply would show that instead.
        var first = fs.Pending!;
        Assert.Null(h.Send(Req.Getattr(111, 1)));                   // a second one, deferred too
        var second = fs.Pending!;
        FuseAttrOut a = default;
        a.AttrValid = 9;
        a.Attr.Ino = 1;
        a.Attr.Mode = S_IFDIR | 0x1ED;
        var t = Task.Run(() => second.Reply(in a));
        Assert.True(t.Wait(TimeSpan.FromSeconds(10)));
        var r = new Reply(h.Channel.LastReply);
        Assert.Equal(0, r.Error);
        Assert.Equal(16u + AttrOutSize, r.Len);
        Assert.Equal(111ul, r.Unique);
        Assert.Equal(9ul, r.U64(0));
        Assert.Equal(S_IFDIR | 0x1ED, r.U32(16 + 60));
        first.Error(Errno.EIO);                                     // answered, so never finalized
    }

    [Fact]
    public void InterruptBeforeTheRequestIsHandled_IsObservedByTheHandler()
    {
        var fs = new DeferringFs();
        using var h = new Harness(fs);
        h.Init();
        Assert.Null(h.Send(Req.Interrupt(120, 121)));
        var r = h.Call(Req.Getattr(121, 1));
        Assert.True(fs.SawInterrupted);
        Assert.Equal(-Errno.EINTR, r.Error);

        // Once answered the mark is dropped: a later request that reuses the unique is not interrupted.
        var again = h.Call(Req.Getattr(121, 1));
        Assert.False(fs.SawInterrupted);
        Assert.Equal(0, again.Error);
        Assert.Equal(16u + AttrOutSize, again.Len);
    }

    // ------------------------------------------------------------------ the epoch

    [Fact]
    public void ReplyReadBeforeTheEpochAdvanced_IsDropped_AndCounted()
    {
        FuseSession? session = null;
        var fs = new DeferringFs { DuringHandler = () => session!.AdvanceEpoch() };
        using var h = new Harness(fs);
        session = h.Session;
        fs.DuringHandler = null;
        h.Init();
        long replies = h.Replies;

        fs.DuringHandler = () => session.AdvanceEpoch();           // unmount while the handler runs
        Assert.Null(h.Send(Req.Getattr(130, 1)));
        Assert.Equal(replies, h.Replies);
        Assert.Equal(1, h.Stats.DroppedStale);

        fs.DuringHandler = null;                                    // a request read in the new epoch is answered
        Assert.Equal(0, h.Call(Req.Getattr(131, 1)).Error);
        Assert.Equal(1, h.Stats.DroppedStale);
    }

    [Fact]
    public void DeferredReply_AfterTheEpochAdvanced_IsDropped_AndCounted()
    {
        var fs = new DeferringFs { Defer = true };
        using var h = new Harness(fs);
        h.Init();
        long replies = h.Replies;
        Assert.Null(h.Send(Req.Getattr(140, 1)));
        long epoch = h.Session.Epoch;
        h.Session.AdvanceEpoch();
        Assert.Equal(epoch + 1, h.Session.Epoch);
        fs.Pending!.Ok();
        Assert.Equal(replies, h.Replies);
        Assert.Equal(1, h.Stats.DroppedStale);
        Assert.Equal(0, h.Stats.PendingInFlight);
    }

    // ------------------------------------------------------------------ malformed requests

    [Fact]
    public void TruncatedHeader_WithTheUnique_IsEIO()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var full = Req.Getattr(150, 1);
        var r = h.Call(full[..20]);
        Assert.Equal(-Errno.EIO, r.Error);
        Assert.Equal(150ul, r.Unique);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void TruncatedHeader_WithoutTheUnique_IsNotAnswered()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        long replies = h.Replies;
        Assert.Null(h.Send(Req.Getattr(151, 1)[..10]));
        Assert.Equal(replies, h.Replies);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    [Theory]
    [InlineData(1000u)]    // says more than was read
    [InlineData(44u)]      // says less
    public void LyingLength_IsEIO(uint lie)
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var req = new Req(Opcode.Getattr, 152, 1) { LenOverride = lie }.U32(0).U32(0).U64(0).Build();
        var r = h.Call(req);
        Assert.Equal(-Errno.EIO, r.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void BodyShorterThanItsStruct_IsEINVAL()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(new Req(Opcode.Getattr, 153, 1).U32(0).Build());   // 4 of 16 bytes
        Assert.Equal(-Errno.EINVAL, r.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
        var rd = h.Call(new Req(Opcode.Read, 154, 1).U64(0).U64(0).Build()); // 16 of 40 bytes
        Assert.Equal(-Errno.EINVAL, rd.Error);
        Assert.Equal(2, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void NameWithoutNul_IsEINVAL()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(new Req(Opcode.Lookup, 160, 1).Raw("abc").Build());
        Assert.Equal(-Errno.EINVAL, r.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void EmptyName_IsEINVAL()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(new Req(Opcode.Lookup, 161, 1).Name("").Name("x").Build());
        Assert.Equal(-Errno.EINVAL, r.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData("abc/")]
    public void NameWithSlash_IsEINVAL(string name)
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        Assert.Equal(-Errno.EINVAL, h.Call(Req.Lookup(162, 1, name)).Error);
        Assert.Equal(-Errno.EINVAL, h.Call(Req.Mkdir(163, 1, name)).Error);
        Assert.Equal(2, h.Stats.ProtocolErrors);
    }

    [Fact]
    public void SecondNameOfARenameWithSlash_IsEINVAL()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        h.Call(Req.Create(1, 1, "src"));
        var r = h.Call(new Req(Opcode.Rename, 164, 1).U64(1).Name("src").Name("x/y").Build());
        Assert.Equal(-Errno.EINVAL, r.Error);
        Assert.Equal(1, h.Stats.ProtocolErrors);
        Assert.Equal(0, h.Call(new Req(Opcode.Rename, 165, 1).U64(1).Name("src").Name("dst").Build()).Error);
        Assert.Equal(0, h.Call(Req.Lookup(166, 1, "dst")).Error);
    }

    [Fact]
    public void Name256Bytes_IsENAMETOOLONG_255IsAccepted()
    {
        using var h = new Harness(NewMemFs());
        h.Init();
        var r = h.Call(Req.Lookup(170, 1, new string('n', 256)));
        Assert.Equal(-Errno.ENAMETOOLONG, r.Error);
        Assert.Equal(-Errno.ENAMETOOLONG, h.Call(Req.Mkdir(171, 1, new string('n', 256))).Error);
        // A long name is valid protocol, just too long for the filesystem: not a protocol error.
        Assert.Equal(0, h.Stats.ProtocolErrors);

        var mk = h.Call(Req.Mkdir(172, 1, new string('n', 255)));
        Assert.Equal(0, mk.Error);
        Assert.Equal(mk.U64(0), h.Call(Req.Lookup(173, 1, new string('n', 255))).U64(0));
    }
}
