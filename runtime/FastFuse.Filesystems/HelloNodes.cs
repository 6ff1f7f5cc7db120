using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Nodes;

namespace FastFuse.Filesystems;

/// <summary>
/// <see cref="HelloFs"/> written with the node API: a read-only root holding one file, "hello", that reads
/// "Hello, World!\n". Two nodes and five small capabilities; the runtime answers lookups, the listing, forgets and
/// every change (EROFS: <see cref="NodeFileSystemOptions.ReadOnly"/>). It answers as HelloFs does, request by request.
/// </summary>
public static class HelloNodes
{
    private static readonly byte[] Content = GC.AllocateArray<byte>(14, pinned: true);

    static HelloNodes() => "Hello, World!\n"u8.CopyTo(Content);

    /// <summary>The filesystem, its files owned by <paramref name="uid"/>:<paramref name="gid"/>.</summary>
    public static NodeFileSystem Create(uint uid = 0, uint gid = 0)
    {
        ulong mountSec = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var root = new Root(mountSec);
        root.AddChild("hello"u8, new HelloFile(mountSec));
        return new NodeFileSystem(root, new NodeFileSystemOptions
        {
            ReadOnly = true,
            Uid = uid,
            Gid = gid,
            EntryTimeout = TimeSpan.FromSeconds(1),
            AttrTimeout = TimeSpan.FromSeconds(1),
        });
    }

    private static void Times(ref FuseAttr a, ulong sec)
    {
        a.Atime = a.Mtime = a.Ctime = sec;
        a.Atimensec = a.Mtimensec = a.Ctimensec = 0;
    }

    /// <summary>The root: 0555, and the statfs answer.</summary>
    private sealed class Root(ulong mountSec) : Node(Linux.S_IFDIR | 0x16D), INodeGetattr, INodeStatfs
    {
        public int Getattr(in RequestContext ctx, ref FuseAttr attr)
        {
            Times(ref attr, mountSec);
            attr.Size = 4096;
            return Status.Ok;
        }

        public int Statfs(in RequestContext ctx, ref FuseKstatfs statfs)
        {
            statfs.Blocks = 1;
            statfs.Files = 2;
            return Status.Ok;
        }
    }

    /// <summary>"hello": 0444, read from pinned memory without a copy, never executable.</summary>
    private sealed class HelloFile(ulong mountSec) : Node(Linux.S_IFREG | 0x124, ino: 2), INodeGetattr, INodeOpen, INodeRead, INodeAccess
    {
        public int Getattr(in RequestContext ctx, ref FuseAttr attr)
        {
            Times(ref attr, mountSec);
            attr.Size = (ulong)Content.Length;
            return Status.Ok;
        }

        public int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags)
        {
            handle = null;
            openFlags = FopenFlags.KeepCache;
            return Status.Ok;
        }

        public int Read(in RequestContext ctx, IFileHandle? handle, long offset, ref DataReply data)
        {
            if (offset < 0) return Errno.EINVAL;
            if (offset >= Content.Length) return Status.Ok;
            int n = (int)Math.Min(data.Remaining, Content.Length - offset);
            data.AppendPinned(Content.AsSpan((int)offset, n));
            return Status.Ok;
        }

        public int Access(in RequestContext ctx, int mask) =>
            (mask & (int)Linux.X_OK) != 0 ? Errno.EACCES : Status.Ok;
    }
}
