using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using FastFuse.Tests.Unit;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Nodes;

/// <summary>HelloNodes, HelloFs on the node API, through the kernel on every transport.</summary>
public abstract class HelloNodesTests(TransportKind transport)
{
    private MountedFs Mount() => new(HelloNodes.Create(), "allow_other", new SessionOptions { Threads = 2, Transport = transport });

    [MountFact]
    public void Hello_ReadsHelloWorld()
    {
        using var m = Mount();
        Assert.Equal("Hello, World!\n"u8.ToArray(), ReadFile(m["hello"]));
        var st = Stat(m["hello"]);
        Assert.Equal(S_IFREG | 0x124u, st.Mode);
        Assert.Equal(14, st.Size);
        Assert.Equal(2ul, st.Ino);
        Assert.Equal(S_IFDIR | 0x16Du, Stat(m.Path).Mode);
        var buf = new byte[8];
        int fd = Open(m["hello"], O_RDONLY);
        try { Assert.Equal("World!\n", System.Text.Encoding.UTF8.GetString(buf, 0, Pread(fd, buf, 7))); }
        finally { Close(fd); }
    }

    [MountFact]
    public void Listing_ShowsExactlyHello()
    {
        using var m = Mount();
        var names = ReadDir(m.Path).Select(e => e.Name).Where(n => n is not "." and not "..").ToArray();
        Assert.Equal(new[] { "hello" }, names);
        Assert.Equal(DT_REG, ReadDir(m.Path).Single(e => e.Name == "hello").Type);
    }

    [MountFact]
    public void Writes_AreRefused()
    {
        using var m = Mount();
        Assert.Equal(Errno.EROFS, OpenErr(m["hello"], O_WRONLY));
        Assert.Equal(Errno.EROFS, OpenErr(m["hello"], O_RDONLY | O_TRUNC));
        Assert.Equal(Errno.EROFS, OpenErr(m["new"], O_WRONLY | O_CREAT, 0x1A4));
        Assert.Equal(Errno.EROFS, Err(mkdir(m["dir"], 0x1ED)));
        Assert.Equal(Errno.EROFS, Err(unlink(m["hello"])));
        Assert.Equal(Errno.EROFS, Err(access(m["hello"], W_OK)));
        Assert.Equal(Errno.EACCES, Err(access(m["hello"], X_OK)));
        Assert.Equal("Hello, World!\n"u8.ToArray(), ReadFile(m["hello"]));
    }

    [MountFact]
    public void OtherNames_AreENOENT_StatfsAsHelloFs()
    {
        using var m = Mount();
        Assert.Equal(Errno.ENOENT, TryStat(m["goodbye"], out _));
        Assert.Equal(Errno.ENOTDIR, TryStat(m["hello/x"], out _));
        var sf = Statfs(m.Path);
        Assert.Equal((4096L, 1UL, 2UL, 255L), (sf.Bsize, sf.Blocks, sf.Files, sf.Namelen));
    }
}

public sealed class HelloNodesTests_DevFuse() : HelloNodesTests(TransportKind.DevFuse);
public sealed class HelloNodesTests_Uring() : HelloNodesTests(TransportKind.Uring);
public sealed class HelloNodesTests_FuseUring() : HelloNodesTests(TransportKind.FuseUring);

/// <summary>
/// HelloNodes answers as HelloFs does, byte for byte: the same requests in the kernel's layout go to both (in
/// process, no mount), and every reply must be identical. Both are made in the same second (their times are the
/// mount's).
/// </summary>
public sealed class HelloNodesSameAsHelloFsTests
{
    private static IEnumerable<byte[]> Requests()
    {
        ulong u = 100;
        yield return Req.Lookup(u++, 1, "hello");
        yield return Req.Lookup(u++, 1, "goodbye");
        yield return Req.Lookup(u++, 2, "x");
        yield return Req.Lookup(u++, 1, ".");
        yield return Req.Getattr(u++, 1);
        yield return Req.Getattr(u++, 2);
        yield return Req.Open(u++, 2, 0);
        yield return Req.Open(u++, 2, 1);
        yield return Req.Open(u++, 2, 0x200);
        foreach (ulong off in new ulong[] { 0, 5, 13, 14, 100 }) yield return Req.Read(u++, 2, 0, off, 4096);
        yield return Req.Read(u++, 2, 0, 0, 3);
        yield return Req.Open(u++, 1, 0, Opcode.Opendir);
        yield return Req.Open(u++, 2, 0, Opcode.Opendir);
        foreach (ulong off in new ulong[] { 0, 1, 2, 3 })
        {
            yield return Req.Read(u++, 1, 0, off, 4096, Opcode.Readdir);
            yield return Req.Read(u++, 1, 0, off, 4096, Opcode.Readdirplus);
        }
        yield return Req.Read(u++, 1, 0, 0, 40, Opcode.Readdir);           // room for one entry only
        foreach (uint mask in new uint[] { 0, 2, 4, 1 })
        {
            yield return new Req(Opcode.Access, u++, 1).U32(mask).U32(0);
            yield return new Req(Opcode.Access, u++, 2).U32(mask).U32(0);
        }
        yield return new Req(Opcode.Statfs, u++, 1);
        yield return new Req(Opcode.Getxattr, u++, 2).U32(0).U32(0).Name("user.x");
        yield return new Req(Opcode.Listxattr, u++, 2).U32(0).U32(0);
        yield return new Req(Opcode.Readlink, u++, 2);
        yield return Req.Mkdir(u++, 1, "d");
        yield return Req.Create(u++, 1, "c");
        yield return new Req(Opcode.Unlink, u++, 1).Name("hello");
        yield return new Req(Opcode.Rmdir, u++, 1).Name("hello");
        yield return new Req(Opcode.Symlink, u++, 1).Name("l").Name("hello");
        yield return Req.Write(u++, 2, 0, 0, "x"u8);
        yield return new Req(Opcode.Setattr, u++, 2).U32(8).U32(0).Zeros(80);   // size
        yield return new Req(Opcode.Flush, u++, 2).U64(0).U32(0).U32(0).U64(0);
        yield return new Req(Opcode.Fsync, u++, 2).U64(0).U32(0).U32(0);
        yield return new Req(Opcode.Release, u++, 2).U64(0).U32(0).U32(0).U64(0);
    }

    [Fact]
    public void EveryReply_IsTheSame()
    {
        Harness raw, nodes;
        while (true)
        {
            long second = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            raw = new Harness(new HelloFs());
            nodes = new Harness(HelloNodes.Create());
            if (second == DateTimeOffset.UtcNow.ToUnixTimeSeconds()) break;
            raw.Dispose();
            nodes.Dispose();
        }
        using (raw)
        using (nodes)
        {
            raw.Init();
            nodes.Init();
            int n = 0;
            foreach (var request in Requests())
            {
                var a = raw.Call(request);
                var b = nodes.Call(request);
                Assert.True(a.Bytes.AsSpan().SequenceEqual(b.Bytes),
                    $"request {n} ({(Opcode)BitConverter.ToUInt32(request, 4)}): HelloFs answered {Convert.ToHexString(a.Bytes)}, HelloNodes {Convert.ToHexString(b.Bytes)}");
                n++;
            }
        }
    }
}
