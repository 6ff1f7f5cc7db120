using FastFuse.Transport.DevFuse;
using System.Buffers.Binary;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Transport;

namespace FastFuse.Tests.Unit;

/// <summary>
/// Builds request bytes as the kernel lays them out, by hand (little endian, independent of the runtime's
/// structs): fuse_in_header (40 bytes) then the op struct and names.
/// </summary>
internal sealed class Req
{
    private readonly List<byte> _body = new();
    private readonly uint _opcode;
    private readonly ulong _unique;
    private readonly ulong _nodeId;
    public uint Uid = 1000, Gid = 1000, Pid = 4242;
    /// <summary>When set, the header's len field lies and says this instead of the real length.</summary>
    public uint? LenOverride;

    public Req(uint opcode, ulong unique, ulong nodeId)
    {
        _opcode = opcode;
        _unique = unique;
        _nodeId = nodeId;
    }

    public Req(Opcode opcode, ulong unique, ulong nodeId) : this((uint)opcode, unique, nodeId) { }

    public Req U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); _body.AddRange(b.ToArray()); return this; }
    public Req U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); _body.AddRange(b.ToArray()); return this; }
    public Req U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); _body.AddRange(b.ToArray()); return this; }
    public Req Bytes(ReadOnlySpan<byte> v) { _body.AddRange(v.ToArray()); return this; }
    public Req Zeros(int n) { _body.AddRange(new byte[n]); return this; }
    /// <summary>A name followed by its NUL.</summary>
    public Req Name(string s) { _body.AddRange(Encoding.UTF8.GetBytes(s)); _body.Add(0); return this; }
    /// <summary>Raw name bytes without a NUL.</summary>
    public Req Raw(string s) { _body.AddRange(Encoding.UTF8.GetBytes(s)); return this; }

    public byte[] Build()
    {
        var b = new byte[40 + _body.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0), LenOverride ?? (uint)b.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), _opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), _unique);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), _nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), Gid);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), Pid);
        // total_extlen (u16) and padding (u16) stay 0.
        _body.CopyTo(b, 40);
        return b;
    }

    public static implicit operator byte[](Req r) => r.Build();

    // ---- the requests the tests use, in the kernel's layout ------------------------------------------

    public const uint AsyncRead = 1u << 0, BigWrites = 1u << 5, MaxPages = 1u << 22, InitExt = 1u << 30,
        ParallelDirops = 1u << 18, DoReaddirplus = 1u << 13, PosixLocks = 1u << 1, WritebackCache = 1u << 16;

    /// <summary>fuse_init_in: major, minor, max_readahead, flags, flags2, unused[11] (64 bytes).</summary>
    public static byte[] Init(ulong unique, uint major, uint minor, uint maxReadahead, uint flags, uint flags2 = 0) =>
        new Req(Opcode.Init, unique, 0).U32(major).U32(minor).U32(maxReadahead).U32(flags).U32(flags2).Zeros(44);

    public static byte[] Lookup(ulong unique, ulong parent, string name) => new Req(Opcode.Lookup, unique, parent).Name(name);

    /// <summary>fuse_getattr_in: getattr_flags, dummy, fh.</summary>
    public static byte[] Getattr(ulong unique, ulong node, uint flags = 0, ulong fh = 0) =>
        new Req(Opcode.Getattr, unique, node).U32(flags).U32(0).U64(fh);

    /// <summary>fuse_mkdir_in: mode, umask; name.</summary>
    public static byte[] Mkdir(ulong unique, ulong parent, string name, uint mode = 0x1FF, uint umask = 0x12) =>
        new Req(Opcode.Mkdir, unique, parent).U32(mode).U32(umask).Name(name);

    /// <summary>fuse_create_in: flags, mode, umask, open_flags; name.</summary>
    public static byte[] Create(ulong unique, ulong parent, string name, uint mode = 0x81B6, uint umask = 0x12, uint flags = 0x42) =>
        new Req(Opcode.Create, unique, parent).U32(flags).U32(mode).U32(umask).U32(0).Name(name);

    /// <summary>fuse_write_in: fh, offset, size, write_flags, lock_owner, flags, padding; data.</summary>
    public static byte[] Write(ulong unique, ulong node, ulong fh, ulong offset, ReadOnlySpan<byte> data) =>
        new Req(Opcode.Write, unique, node).U64(fh).U64(offset).U32((uint)data.Length).U32(0).U64(0).U32(2).U32(0).Bytes(data);

    /// <summary>fuse_read_in: fh, offset, size, read_flags, lock_owner, flags, padding (also READDIR).</summary>
    public static byte[] Read(ulong unique, ulong node, ulong fh, ulong offset, uint size, Opcode op = Opcode.Read) =>
        new Req(op, unique, node).U64(fh).U64(offset).U32(size).U32(0).U64(0).U32(0).U32(0);

    /// <summary>fuse_open_in: flags, open_flags.</summary>
    public static byte[] Open(ulong unique, ulong node, uint flags = 0, Opcode op = Opcode.Open) =>
        new Req(op, unique, node).U32(flags).U32(0);

    public static byte[] Forget(ulong unique, ulong node, ulong nlookup) => new Req(Opcode.Forget, unique, node).U64(nlookup);

    public static byte[] BatchForget(ulong unique, uint count, params (ulong Node, ulong N)[] items)
    {
        var r = new Req(Opcode.BatchForget, unique, 0).U32(count).U32(0);
        foreach (var (node, n) in items) r.U64(node).U64(n);
        return r;
    }

    public static byte[] Interrupt(ulong unique, ulong target) => new Req(Opcode.Interrupt, unique, 0).U64(target);
}

/// <summary>A parsed reply: fuse_out_header (len, error, unique) and the payload after it.</summary>
internal readonly struct Reply
{
    public readonly byte[] Bytes;
    public Reply(ReadOnlySpan<byte> bytes) => Bytes = bytes.ToArray();

    public uint Len => BinaryPrimitives.ReadUInt32LittleEndian(Bytes);
    public int Error => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(4));
    public ulong Unique => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(8));
    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(16);
    public uint U32(int payloadOffset) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(16 + payloadOffset));
    public ushort U16(int payloadOffset) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(16 + payloadOffset));
    public ulong U64(int payloadOffset) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(16 + payloadOffset));
}

/// <summary>An in-process session over a <see cref="CaptureChannel"/> with one inline worker.</summary>
internal sealed class Harness : IDisposable
{
    public readonly CaptureChannel Channel = new();
    public readonly FuseSession Session;
    public readonly DevFuseWorker Worker;
    public readonly IRawFileSystem Fs;

    public Harness(IRawFileSystem fs, SessionOptions? options = null)
    {
        Fs = fs;
        Session = FuseSession.FromChannel(fs, Channel, options ?? new SessionOptions { Threads = 1 });
        Worker = Session.CreateInlineWorker();
    }

    public Stats Stats => Session.Stats;
    public long Replies => Channel.Replies;

    /// <summary>Process a request; returns the reply, or null when none was written.</summary>
    public Reply? Send(byte[] request)
    {
        long before = Channel.Replies;
        Session.Process(Worker, request);
        return Channel.Replies == before ? null : new Reply(Channel.LastReply);
    }

    /// <summary>Process a request that must be answered; asserts the header is consistent.</summary>
    public Reply Call(byte[] request)
    {
        var r = Send(request) ?? throw new Xunit.Sdk.XunitException("no reply was written");
        Assert.Equal((uint)r.Bytes.Length, r.Len);
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(8)), r.Unique);
        return r;
    }

    /// <summary>INIT as a 7.45 kernel offering a typical set of flags.</summary>
    public Reply Init(uint flags = Req.AsyncRead | Req.BigWrites | Req.MaxPages | Req.InitExt | Req.ParallelDirops | Req.DoReaddirplus)
    {
        var r = Call(Req.Init(1, 7, 45, 128 * 1024, flags));
        Assert.Equal(0, r.Error);
        return r;
    }

    public void Dispose() => Session.Dispose();
}
