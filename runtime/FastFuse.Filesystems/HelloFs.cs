using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

/// <summary>
/// The smallest useful filesystem: a read-only root holding one file, "hello", that reads "Hello, World!\n".
/// Every change answers EROFS; any other name is ENOENT.
/// </summary>
public sealed class HelloFs : IRawFileSystem
{
    private const ulong RootId = 1;
    private const ulong HelloId = 2;
    private static readonly byte[] Content = GC.AllocateArray<byte>(14, pinned: true);
    private static ReadOnlySpan<byte> HelloName => "hello"u8;

    private readonly ulong _mountSec;
    private readonly uint _uid, _gid;

    static HelloFs() => "Hello, World!\n"u8.CopyTo(Content);

    public HelloFs(uint uid = 0, uint gid = 0)
    {
        _uid = uid;
        _gid = gid;
        _mountSec = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    private bool Fill(ulong id, ref FuseAttr a)
    {
        a.Ino = id;
        a.Atime = a.Mtime = a.Ctime = _mountSec;
        a.Uid = _uid;
        a.Gid = _gid;
        a.Blksize = 4096;
        switch (id)
        {
            case RootId:
                a.Mode = Linux.S_IFDIR | 0x16D; // 0555
                a.Nlink = 2;
                a.Size = 4096;
                return true;
            case HelloId:
                a.Mode = Linux.S_IFREG | 0x124; // 0444
                a.Nlink = 1;
                a.Size = (ulong)Content.Length;
                a.Blocks = 1;
                return true;
            default:
                return false;
        }
    }

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        if (parent != RootId) return parent == HelloId ? Errno.ENOTDIR : Errno.ENOENT;
        ulong id;
        if (name.SequenceEqual(HelloName)) id = HelloId;
        else if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) id = RootId;
        else return Errno.ENOENT;
        entry.Nodeid = id;
        entry.EntryValid = 1;
        entry.AttrValid = 1;
        Fill(id, ref entry.Attr);
        return Status.Ok;
    }

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        attr.AttrValid = 1;
        return Fill(nodeId, ref attr.Attr) ? Status.Ok : Errno.ENOENT;
    }

    public int Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr) => Errno.EROFS;
    public int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target) => Errno.EINVAL;
    public int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry) => Errno.EROFS;
    public int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry) => Errno.EROFS;
    public int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry) => Errno.EROFS;
    public int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.EROFS;
    public int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.EROFS;
    public int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags) => Errno.EROFS;
    public int Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry) => Errno.EROFS;
    public int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open) => Errno.EROFS;
    public int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => Errno.EROFS;
    public int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name) => Errno.EROFS;
    public int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode) => Errno.EROFS;

    public int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        return Errno.EROFS;
    }

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        if (nodeId == RootId) return Errno.EISDIR;
        if (nodeId != HelloId) return Errno.ENOENT;
        if ((flags & 3) != 0 || (flags & 0x200) != 0) return Errno.EROFS; // O_WRONLY/O_RDWR/O_TRUNC
        open.OpenFlags = (uint)FopenFlags.KeepCache;
        return Status.Ok;
    }

    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        if (nodeId != HelloId) return nodeId == RootId ? Errno.EISDIR : Errno.ENOENT;
        if (offset < 0) return Errno.EINVAL;
        if (offset >= Content.Length) return Status.Ok;
        int n = (int)Math.Min(Math.Min(size, data.Remaining), Content.Length - offset);
        data.AppendPinned(Content.AsSpan((int)offset, n));
        return Status.Ok;
    }

    public int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner) => Status.Ok;
    public int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Status.Ok;
    public int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Status.Ok;

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) =>
        nodeId == RootId ? Status.Ok : nodeId == HelloId ? Errno.ENOTDIR : Errno.ENOENT;

    public int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        if (nodeId != RootId) return nodeId == HelloId ? Errno.ENOTDIR : Errno.ENOENT;
        if (offset < 1 && !entries.Add("."u8, RootId, Linux.S_IFDIR, 1)) return Status.Ok;
        if (offset < 2 && !entries.Add(".."u8, RootId, Linux.S_IFDIR, 2)) return Status.Ok;
        if (offset < 3)
        {
            if (entries.IsPlus)
            {
                FuseEntryOut e = default;
                e.Nodeid = HelloId;
                e.EntryValid = 1;
                e.AttrValid = 1;
                Fill(HelloId, ref e.Attr);
                entries.AddPlus(HelloName, in e, 3); // lookup counts are not tracked: nothing is ever freed
            }
            else
            {
                entries.Add(HelloName, HelloId, Linux.S_IFREG, 3);
            }
        }
        return Status.Ok;
    }

    public int Access(in RequestContext ctx, ulong nodeId, int mask)
    {
        if (nodeId != RootId && nodeId != HelloId) return Errno.ENOENT;
        if ((mask & (int)Linux.W_OK) != 0) return Errno.EROFS;
        if ((mask & (int)Linux.X_OK) != 0 && nodeId == HelloId) return Errno.EACCES;
        return Status.Ok;
    }

    public int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs)
    {
        statfs.St.Bsize = 4096;
        statfs.St.Frsize = 4096;
        statfs.St.Blocks = 1;
        statfs.St.Files = 2;
        statfs.St.Namelen = 255;
        return Status.Ok;
    }

    public int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value) => Errno.ENODATA;

    public int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        names.Reserve(0, out int error);
        return error;
    }
}
