using FastFuse.Transport.DevFuse;
using System.Buffers.Binary;
using System.Text;
using FastFuse.Filesystems;
using FastFuse.Session;
using FastFuse.Transport;

namespace FastFuse.Tests.Differential;

/// <summary>
/// Hand-built kernel requests for the escape tests (little endian, as the kernel lays them out):
/// fuse_in_header (len u32, opcode u32, unique u64, nodeid u64, uid u32, gid u32, pid u32, total_extlen u16,
/// pad u16 = 40 bytes), then the op's struct and NUL-terminated names.
/// </summary>
internal static class FuseRequests
{
    public const uint Lookup = 1, Symlink = 6, Mknod = 8, Mkdir = 9, Unlink = 10, Rmdir = 11, Rename = 12, Link = 13,
        Init = 26, Create = 35, Rename2 = 45;

    private static ulong s_unique = 100;

    public static byte[] Build(uint opcode, ulong nodeId, params object[] parts)
    {
        var body = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case uint u: body.AddRange(BitConverter.GetBytes(u)); break;
                case ulong l: body.AddRange(BitConverter.GetBytes(l)); break;
                case string s: body.AddRange(Encoding.UTF8.GetBytes(s)); body.Add(0); break;
                case byte[] raw: body.AddRange(raw); break;
                default: throw new ArgumentException(part.GetType().Name);
            }
        }
        var b = new byte[40 + body.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0), (uint)b.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), Interlocked.Increment(ref s_unique));
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), nodeId);
        // uid 0, gid 0 (root: the strongest caller), pid 1, total_extlen 0, pad 0.
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 1);
        body.CopyTo(b, 40);
        return b;
    }

    /// <summary>fuse_init_in: major 7, minor 45, max_readahead, flags, flags2, unused[11].</summary>
    public static byte[] InitRequest() => Build(Init, 0, 7u, 45u, 131072u, 0u, 0u, new byte[44]);
}

/// <summary>A LoopbackFs (or any filesystem) driven in-process over a <see cref="CaptureChannel"/>: no kernel.</summary>
internal sealed class InProcessSession : IDisposable
{
    private readonly CaptureChannel _channel = new();
    private readonly FuseSession _session;
    private readonly DevFuseWorker _worker;

    public InProcessSession(FastFuse.Api.IRawFileSystem fs)
    {
        _session = FuseSession.FromChannel(fs, _channel, new SessionOptions { Threads = 1 });
        _worker = _session.CreateInlineWorker();
        var (err, _) = Send(FuseRequests.InitRequest());
        if (err != 0) throw new InvalidOperationException($"INIT failed: {err}");
    }

    /// <summary>Process one request: (error of fuse_out_header — 0 or a negative errno, payload).</summary>
    public (int Error, byte[] Payload) Send(byte[] request)
    {
        long before = _channel.Replies;
        _session.Process(_worker, request);
        if (_channel.Replies == before) throw new InvalidOperationException("no reply");
        var r = _channel.LastReply;
        Assert.Equal((uint)r.Length, BinaryPrimitives.ReadUInt32LittleEndian(r));
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(8)), BinaryPrimitives.ReadUInt64LittleEndian(r[8..]));
        return (BinaryPrimitives.ReadInt32LittleEndian(r[4..]), r[16..].ToArray());
    }

    /// <summary>LOOKUP that must succeed: (nodeid, mode) from fuse_entry_out (nodeid at 0, attr at 40, mode at attr+60).</summary>
    public (ulong Node, uint Mode) MustLookup(ulong parent, string name)
    {
        var (err, p) = Send(FuseRequests.Build(FuseRequests.Lookup, parent, name));
        Assert.True(err == 0, $"LOOKUP {name}: {Kernel.Errno.Name(-err)}");
        return (BinaryPrimitives.ReadUInt64LittleEndian(p), BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(100)));
    }

    public void Dispose() => _session.Dispose();
}
