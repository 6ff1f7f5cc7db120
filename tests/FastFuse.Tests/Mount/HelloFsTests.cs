using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>HelloFs: one read-only file.</summary>
public class HelloFsTests
{
    [MountFact]
    public void Hello_ReadsHelloWorld()
    {
        using var m = new MountedFs(new HelloFs(), "allow_other");
        Assert.Equal("Hello, World!\n"u8.ToArray(), ReadFile(m["hello"]));
        var st = Stat(m["hello"]);
        Assert.Equal(S_IFREG | 0x124u, st.Mode);
        Assert.Equal(14, st.Size);
    }

    [MountFact]
    public void Listing_ShowsExactlyHello()
    {
        using var m = new MountedFs(new HelloFs(), "allow_other");
        var names = ReadDir(m.Path).Select(e => e.Name).Where(n => n is not "." and not "..").ToArray();
        Assert.Equal(new[] { "hello" }, names);
        Assert.Equal(DT_REG, ReadDir(m.Path).Single(e => e.Name == "hello").Type);
    }

    [MountFact]
    public void Writes_AreRefused()
    {
        using var m = new MountedFs(new HelloFs(), "allow_other");
        int e = OpenErr(m["hello"], O_WRONLY);
        Assert.True(e is Errno.EROFS or Errno.EACCES, $"open for write: {ErrName(e)}");
        e = OpenErr(m["new"], O_WRONLY | O_CREAT, 0x1A4);
        Assert.True(e is Errno.EROFS or Errno.EACCES, $"create: {ErrName(e)}");
        e = Err(mkdir(m["dir"], 0x1ED));
        Assert.True(e is Errno.EROFS or Errno.EACCES, $"mkdir: {ErrName(e)}");
        e = Err(unlink(m["hello"]));
        Assert.True(e is Errno.EROFS or Errno.EACCES, $"unlink: {ErrName(e)}");
        Assert.Equal("Hello, World!\n"u8.ToArray(), ReadFile(m["hello"]));
    }

    [MountFact]
    public void OtherNames_AreENOENT()
    {
        using var m = new MountedFs(new HelloFs(), "allow_other");
        Assert.Equal(Errno.ENOENT, TryStat(m["goodbye"], out _));
        Assert.Equal(Errno.ENOTDIR, TryStat(m["hello/x"], out _));
    }
}
