using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Examples;

// The README's example filesystem, verbatim: if the API changes under it, this stops compiling.
internal sealed class OneFile : IRawFileSystem
{
    static readonly byte[] Name = "greeting"u8.ToArray(), Data = "hi there\n"u8.ToArray();
    const ulong FileId = 2;

    static void Fill(ulong ino, ref FuseAttr a)
    {
        a.Ino = ino;
        a.Mode = ino == 1 ? Linux.S_IFDIR | 0x1ED : Linux.S_IFREG | 0x124;   // 0755 dir, 0444 file
        a.Nlink = ino == 1 ? 2u : 1u;
        a.Size = ino == 1 ? 0 : (ulong)Data.Length;
    }

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut e)
    {
        if (parent != 1 || !name.SequenceEqual(Name)) return Errno.ENOENT;
        e.Nodeid = FileId; e.EntryValid = 1; e.AttrValid = 1;
        Fill(FileId, ref e.Attr);
        return 0;
    }
    public int Getattr(in RequestContext ctx, ulong ino, ulong? fh, ref FuseAttrOut a) { a.AttrValid = 1; Fill(ino, ref a.Attr); return 0; }
    public int Open(in RequestContext ctx, ulong ino, int flags, ref FuseOpenOut o) => (flags & 3) == 0 ? 0 : Errno.EROFS;
    public int Read(in RequestContext ctx, ulong ino, ulong fh, long off, int size, ref DataReply data)
    {
        if (off < Data.Length) data.Append(Data.AsSpan((int)off, Math.Min(size, Data.Length - (int)off)));
        return 0;
    }
    public int Readdir(in RequestContext ctx, ulong ino, ulong fh, long off, ref DirectoryReply d)
    {
        if (off < 1 && !d.Add("."u8, 1, Linux.S_IFDIR, 1)) return 0;
        if (off < 2 && !d.Add(".."u8, 1, Linux.S_IFDIR, 2)) return 0;
        if (off < 3) d.Add(Name, FileId, Linux.S_IFREG, 3);
        return 0;
    }
}


public class ReadmeExampleTests
{
    [MountFact]
    public void ReadmeExampleServesItsFile()
    {
        using var m = new MountedFs(new OneFile(), "ro");
        Assert.Equal(new[] { "greeting" }, Directory.GetFileSystemEntries(m.Path).Select(Path.GetFileName).ToArray());
        Assert.Equal("hi there\n", File.ReadAllText(m["greeting"]));
        Assert.ThrowsAny<Exception>(() => File.OpenWrite(m["greeting"]).Dispose());
    }
}
