using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Transport;
using Xunit.Abstractions;

namespace FastFuse.Tests.Robustness;

/// <summary>
/// Bad input from the kernel side, in process: valid requests of every opcode, mutated (bytes flipped, truncated,
/// extended, lengths that lie, random opcodes, names without NUL, huge BATCH_FORGET counts) and plain random
/// buffers, fed to the dispatcher over a MemFs. No exception escapes; each buffer gets exactly one well-formed
/// reply, or none when it is a no-reply opcode or a counted protocol error. One buffer in eight is placed so that
/// it ends exactly at a PROT_NONE guard page: a read past the request's bytes kills the test process.
/// FASTFUSE_FUZZ_ITERATIONS (default 1,000,000) and FASTFUSE_FUZZ_SEED (default 12345) make longer or other runs.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed unsafe class DispatcherFuzzTests(ITestOutputHelper output)
{
    private const int MaxRequest = 20 * 1024;

    private readonly record struct Template(Opcode Op, byte[] Bytes, int NamesAt);

    [Fact]
    public void Million_mutated_requests_never_crash_and_always_answer_or_count()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("FASTFUSE_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 1_000_000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTFUSE_FUZZ_SEED"), out int s) ? s : 12345;
        using var log = new LogLines(LogLevel.None);   // a million lines of "handler threw" would only slow the run
        Run(iterations, seed);
    }

    private void Run(int iterations, int seed)
    {
        var rng = new Random(seed);
        var channel = new CaptureChannel();
        var fs = new MemFs(new MemFsOptions { MaxFileSize = 16 << 20, CapacityBytes = 256 << 20 });
        using var session = FuseSession.FromChannel(fs, channel, new SessionOptions { Threads = 1, MaxWrite = 128 * 1024 });
        var w = session.CreateInlineWorker();

        session.Process(w, Build(Opcode.Init, 1, 0, Init()));
        Assert.Equal(1, channel.Replies);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(channel.LastReply[4..]));
        Assert.True(session.Initialized);

        var templates = Templates();
        // Some state for the mutated requests to find: files, a directory, a symlink, open handles.
        foreach (var t in templates) session.Process(w, t.Bytes);

        // The guard region: pages of readable memory followed by one PROT_NONE page.
        nuint page = 4096;
        nuint regionPages = (nuint)(MaxRequest / 4096 + 2);
        byte* region = (byte*)RLibc.mmap(null, regionPages * page, RLibc.PROT_READ | RLibc.PROT_WRITE, RLibc.MAP_PRIVATE | RLibc.MAP_ANONYMOUS, -1, 0);
        Assert.True(region != (byte*)-1 && region != null, "mmap failed");
        byte* guard = region + (regionPages - 1) * page;
        Assert.Equal(0, RLibc.mprotect(guard, page, RLibc.PROT_NONE));

        var buf = new byte[MaxRequest + 256];
        long noReplyOps = 0, protocolCounted = 0, replied = 0, guarded = 0, handlerExceptions = 0;
        var errnos = new Dictionary<int, long>();
        var sw = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < iterations; i++)
            {
                int len = Mutate(rng, templates, buf, (ulong)(i + 100) * 2);
                long repliesBefore = channel.Replies;
                long protoBefore = Volatile.Read(ref session.Stats.ProtocolErrors);
                long throwsBefore = Volatile.Read(ref session.Stats.HandlerExceptions);
                try
                {
                    if ((i & 7) == 0)
                    {
                        byte* p = guard - len;
                        buf.AsSpan(0, len).CopyTo(new Span<byte>(p, len));
                        w.Process(p, len);
                        guarded++;
                    }
                    else session.Process(w, buf.AsSpan(0, len));
                }
                catch (Exception e)
                {
                    Assert.Fail($"iteration {i}: {e.GetType().Name} escaped the dispatcher: {e.Message}\nrequest: {Convert.ToHexString(buf, 0, Math.Min(len, 128))}");
                }

                long replies = channel.Replies - repliesBefore;
                bool counted = Volatile.Read(ref session.Stats.ProtocolErrors) != protoBefore;
                bool threw = Volatile.Read(ref session.Stats.HandlerExceptions) != throwsBefore;
                if (threw) handlerExceptions++;
                Assert.True(replies <= 1, $"iteration {i}: {replies} replies to one request");
                if (replies == 0)
                {
                    uint op = len >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(4)) : 0;
                    bool noReplyOp = len >= 40 && BinaryPrimitives.ReadUInt32LittleEndian(buf) == (uint)len &&
                                     op is (uint)Opcode.Forget or (uint)Opcode.BatchForget or (uint)Opcode.Interrupt or (uint)Opcode.NotifyReply;
                    Assert.True(noReplyOp || counted,
                        $"iteration {i}: no reply and no protocol error for {Convert.ToHexString(buf, 0, Math.Min(len, 64))} (len {len})");
                    if (noReplyOp) noReplyOps++;
                    else protocolCounted++;
                    continue;
                }
                replied++;
                var reply = channel.LastReply;
                Assert.True(reply.Length >= 16, $"iteration {i}: reply of {reply.Length} bytes");
                uint rlen = BinaryPrimitives.ReadUInt32LittleEndian(reply);
                int error = BinaryPrimitives.ReadInt32LittleEndian(reply[4..]);
                ulong unique = BinaryPrimitives.ReadUInt64LittleEndian(reply[8..]);
                Assert.True(rlen == (uint)reply.Length, $"iteration {i}: header len {rlen} but {reply.Length} bytes written");
                Assert.True(error <= 0 && error > -512, $"iteration {i}: error {error} out of range");
                Assert.True(error == 0 || reply.Length == 16, $"iteration {i}: error {error} with a payload of {reply.Length - 16} bytes");
                Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(8)), unique);
                errnos[-error] = errnos.GetValueOrDefault(-error) + 1;
            }
        }
        finally
        {
            RLibc.munmap(region, regionPages * page);
        }

        var st = session.Stats;
        string report =
            $"fuzz: {iterations} buffers (seed {seed}) in {sw.Elapsed.TotalSeconds:F1} s, {guarded} against a guard page; " +
            $"replied={replied} no-reply-ops={noReplyOps} counted-protocol-errors-without-reply={protocolCounted}\n" +
            $"fuzz: stats protocol-errors={st.ProtocolErrors} enosys={st.Unimplemented} handler-exceptions={st.HandlerExceptions} " +
            $"forgets={st.Forgets} interrupts={st.InterruptsReceived}\n" +
            $"fuzz: reply errnos {string.Join(" ", errnos.OrderByDescending(k => k.Value).Take(14).Select(k => $"{(k.Key == 0 ? "OK" : Errno.Name(k.Key))}={k.Value}"))}";
        output.WriteLine(report);
        Console.WriteLine(report);
        Assert.True(replied > iterations / 2, "most buffers should be answered");
        Assert.True(st.ProtocolErrors > 0 && st.Unimplemented > 0);
    }

    // ---- building requests ---------------------------------------------------------------------------------

    private static byte[] Build(Opcode op, ulong unique, ulong node, byte[] body) => Build((uint)op, unique, node, body);

    private static byte[] Build(uint op, ulong unique, ulong node, byte[] body)
    {
        var b = new byte[40 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)b.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), op);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), node);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 0);      // uid root
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 4242);
        body.CopyTo(b, 40);
        return b;
    }

    private static byte[] Init()
    {
        var b = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(b, 7);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 45);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 128 * 1024);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 0x73fffffb);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 0x7fd);
        return b;
    }

    private sealed class Body
    {
        private readonly List<byte> _b = new();
        public int Mark = -1;
        public Body U32(uint v) { _b.AddRange(BitConverter.GetBytes(v)); return this; }
        public Body U64(ulong v) { _b.AddRange(BitConverter.GetBytes(v)); return this; }
        public Body Z(int n) { _b.AddRange(new byte[n]); return this; }
        public Body Names(params string[] names)
        {
            Mark = _b.Count;
            foreach (var s in names) { _b.AddRange(Encoding.UTF8.GetBytes(s)); _b.Add(0); }
            return this;
        }
        public Body Data(int n, byte fill) { _b.AddRange(Enumerable.Repeat(fill, n)); return this; }
        public byte[] Bytes => _b.ToArray();
    }

    /// <summary>A valid request of every opcode the kernel sends (and some it does not), in the kernel's layout.</summary>
    private static List<Template> Templates()
    {
        var list = new List<Template>();
        ulong u = 2;
        void Add(Opcode op, ulong node, Body body) => list.Add(new Template(op, Build(op, u += 2, node, body.Bytes), body.Mark < 0 ? -1 : 40 + body.Mark));
        const uint Reg = 0x81A4, Dir = 0x41ED;
        // Create state first: nodes 2.. are assigned by MemFs in order.
        Add(Opcode.Create, 1, new Body().U32(0x42).U32(Reg).U32(0x12).U32(0).Names("f1"));
        Add(Opcode.Mkdir, 1, new Body().U32(Dir).U32(0x12).Names("d1"));
        Add(Opcode.Mknod, 1, new Body().U32(Reg).U32(0).U32(0x12).U32(0).Names("n1"));
        Add(Opcode.Symlink, 1, new Body().Names("s1", "f1"));
        Add(Opcode.Lookup, 1, new Body().Names("f1"));
        Add(Opcode.Lookup, 1, new Body().Names("d1"));
        Add(Opcode.Forget, 2, new Body().U64(1));
        Add(Opcode.BatchForget, 0, new Body().U32(2).U32(0).U64(3).U64(1).U64(4).U64(1));
        Add(Opcode.Getattr, 2, new Body().U32(0).U32(0).U64(0));
        Add(Opcode.Setattr, 2, new Body().U32(0x8 | 0x1).U32(0).U64(1).U64(4096).U64(0).U64(0).U64(0).U32(0).U32(0).U32(0).U32(Reg).U32(0).U32(0).U32(0).U32(0));
        Add(Opcode.Readlink, 5, new Body());
        Add(Opcode.Unlink, 1, new Body().Names("n1"));
        Add(Opcode.Rmdir, 1, new Body().Names("d9"));
        Add(Opcode.Rename, 1, new Body().U64(1).Names("f1", "f2"));
        Add(Opcode.Rename2, 1, new Body().U64(1).U32(0).U32(0).Names("f2", "f1"));
        Add(Opcode.Link, 1, new Body().U64(2).Names("h1"));
        Add(Opcode.Open, 2, new Body().U32(2).U32(0));
        Add(Opcode.Read, 2, new Body().U64(1).U64(0).U32(4096).U32(0).U64(0).U32(0).U32(0));
        Add(Opcode.Write, 2, new Body().U64(1).U64(0).U32(512).U32(0).U64(0).U32(2).U32(0).Data(512, 0x5a));
        Add(Opcode.Statfs, 1, new Body());
        Add(Opcode.Flush, 2, new Body().U64(1).U32(0).U32(0).U64(0));
        Add(Opcode.Fsync, 2, new Body().U64(1).U32(1).U32(0));
        Add(Opcode.Setxattr, 2, new Body().U32(3).U32(0).U32(0).U32(0).Names("user.a").Data(3, 0x41));
        Add(Opcode.Getxattr, 2, new Body().U32(64).U32(0).Names("user.a"));
        Add(Opcode.Listxattr, 2, new Body().U32(256).U32(0));
        Add(Opcode.Removexattr, 2, new Body().Names("user.b"));
        Add(Opcode.Opendir, 1, new Body().U32(0).U32(0));
        Add(Opcode.Readdir, 1, new Body().U64(1).U64(0).U32(4096).U32(0).U64(0).U32(0).U32(0));
        Add(Opcode.Readdirplus, 1, new Body().U64(1).U64(0).U32(4096).U32(0).U64(0).U32(0).U32(0));
        Add(Opcode.Fsyncdir, 1, new Body().U64(1).U32(0).U32(0));
        Add(Opcode.Releasedir, 1, new Body().U64(1).U32(0).U32(0).U64(0));
        Add(Opcode.Getlk, 2, new Body().U64(1).U64(0).U64(0).U64(100).U32(1).U32(4242).U32(0).U32(0));
        Add(Opcode.Setlk, 2, new Body().U64(1).U64(0).U64(0).U64(100).U32(1).U32(4242).U32(0).U32(0));
        Add(Opcode.Setlkw, 2, new Body().U64(1).U64(0).U64(0).U64(100).U32(2).U32(4242).U32(0).U32(0));
        Add(Opcode.Access, 2, new Body().U32(4).U32(0));
        Add(Opcode.Interrupt, 0, new Body().U64(12345));
        Add(Opcode.Bmap, 2, new Body().U64(0).U32(4096).U32(0));
        Add(Opcode.Ioctl, 2, new Body().U64(1).U32(0).U32(0x5401).U64(0).U32(0).U32(0));
        Add(Opcode.Poll, 2, new Body().U64(1).U64(7).U32(0).U32(1));
        Add(Opcode.NotifyReply, 0, new Body().U64(0).U32(0).U32(0).U64(0).U32(0).U32(0));
        Add(Opcode.Fallocate, 2, new Body().U64(1).U64(0).U64(8192).U32(0).U32(0));
        Add(Opcode.Lseek, 2, new Body().U64(1).U64(0).U32(3).U32(0));
        Add(Opcode.CopyFileRange, 2, new Body().U64(1).U64(0).U64(2).U64(1).U64(4096).U64(512).U64(0));
        Add(Opcode.Syncfs, 1, new Body().U64(0));
        Add(Opcode.Tmpfile, 1, new Body().U32(0x42).U32(Reg).U32(0x12).U32(0).Names("t"));
        Add(Opcode.Statx, 2, new Body().U32(0).U32(0).U64(0).U32(0).U32(0x7ff));
        Add(Opcode.CopyFileRange64, 2, new Body().U64(1).U64(0).U64(2).U64(1).U64(4096).U64(512).U64(0));
        Add(Opcode.Release, 2, new Body().U64(1).U32(0).U32(0).U64(0));
        Add(Opcode.Destroy, 0, new Body());
        Add(Opcode.Init, 0, new Body().U32(7).U32(45).U32(0).U32(0).Z(48));
        return list;
    }

    private static readonly uint[] OddOpcodes = { 0, 7, 19, 54, 55, 63, 64, 65, 100, 4096, 4097, 1u << 20, 0x7fffffff, uint.MaxValue };
    private static readonly uint[] HugeCounts = { uint.MaxValue, 0x80000000, 0x10000000, 65536, 1025, 100 };

    /// <summary>Write a mutated (or random) request into <paramref name="buf"/>; returns its length.</summary>
    private static int Mutate(Random rng, List<Template> templates, byte[] buf, ulong unique)
    {
        int kind = rng.Next(100);
        if (kind < 5)
        {
            // Pure noise, short or long.
            int n = rng.Next(0, rng.Next(2) == 0 ? 64 : 600);
            rng.NextBytes(buf.AsSpan(0, n));
            return n;
        }
        var t = templates[rng.Next(templates.Count)];
        int len = t.Bytes.Length;
        t.Bytes.CopyTo(buf, 0);
        if (len >= 16) BinaryPrimitives.WriteUInt64LittleEndian(buf.AsSpan(8), unique);
        bool fixLen = rng.Next(10) < 7;
        int rounds = 1 + rng.Next(3);
        if (kind < 12) rounds = 0;      // some stay valid: they reach the filesystem and change its state
        for (int r = 0; r < rounds; r++)
        {
            switch (rng.Next(9))
            {
                case 0:     // flip bytes
                    for (int k = rng.Next(1, 9); k > 0; k--) buf[rng.Next(len)] ^= (byte)rng.Next(1, 256);
                    break;
                case 1:     // truncate
                    len = rng.Next(0, len);
                    break;
                case 2:     // extend
                {
                    int add = rng.Next(1, rng.Next(2) == 0 ? 16 : 300);
                    add = Math.Min(add, MaxRequest - len);
                    rng.NextBytes(buf.AsSpan(len, add));
                    len += add;
                    break;
                }
                case 3:     // the length field lies
                    if (len >= 4)
                    {
                        uint lie = rng.Next(3) switch { 0 => (uint)rng.Next(), 1 => (uint)(len + rng.Next(-8, 9)), _ => (uint)rng.Next(0, 41) };
                        BinaryPrimitives.WriteUInt32LittleEndian(buf, lie);
                        fixLen = false;
                    }
                    break;
                case 4:     // another opcode
                    if (len >= 8)
                        BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(4), rng.Next(2) == 0 ? OddOpcodes[rng.Next(OddOpcodes.Length)] : (uint)rng.Next(0, 70));
                    break;
                case 5:     // names lose their NULs
                    if (t.NamesAt >= 0)
                        for (int k = t.NamesAt; k < len; k++) if (buf[k] == 0) buf[k] = (byte)'x';
                    break;
                case 6:     // names get a '/' or become empty
                    if (t.NamesAt >= 0 && t.NamesAt < len) buf[t.NamesAt] = rng.Next(2) == 0 ? (byte)'/' : (byte)0;
                    break;
                case 7:     // huge counts and sizes in the op struct
                    if (len >= 48)
                    {
                        uint v = HugeCounts[rng.Next(HugeCounts.Length)];
                        int at = 40 + 4 * rng.Next(Math.Min(8, (len - 40) / 4));
                        BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(at), v);
                        if (rng.Next(4) == 0) BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(4), (uint)Opcode.BatchForget);
                    }
                    break;
                case 8:     // random node id
                    if (len >= 24) BinaryPrimitives.WriteUInt64LittleEndian(buf.AsSpan(16), rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(0, 12));
                    break;
            }
        }
        if (fixLen && len >= 4) BinaryPrimitives.WriteUInt32LittleEndian(buf, (uint)len);
        return len;
    }
}
