using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Open files: OPEN, READ, WRITE, FLUSH, FSYNC, RELEASE, GETLK, SETLK(W), FALLOCATE. Each request on an open is
// answered by its handle's capability when it has one, else by the node's, else by the default.
public partial class NodeFileSystem
{
    private const int O_ACCMODE = 3;
    private const int O_TRUNC = 0x200;

    int IRawFileSystem.Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n.IsDirectory) return Errno.EISDIR;
        bool changes = (flags & O_ACCMODE) != 0 || (flags & O_TRUNC) != 0;
        if (changes && _readOnly) return Errno.EROFS;
        if (n is INodeOpen opener)
        {
            FopenFlags openFlags = default;
            int r = opener.Open(in ctx, flags, out var handle, ref openFlags);
            if (r != 0) return r;
            open.OpenFlags = (uint)openFlags;
            if (handle is not null) open.Fh = _handles.Add(handle);
            return Status.Ok;
        }
        if (!changes) return Status.Ok;
        if ((flags & O_ACCMODE) != 0 && n is not INodeWrite) return Errno.EACCES;
        if ((flags & O_TRUNC) == 0) return Status.Ok;
        if (n is not INodeSetattr setattr) return Errno.EACCES;
        var truncate = new FuseSetattrIn { Valid = (uint)SetattrValid.Size, Size = 0 };
        return setattr.Setattr(in ctx, null, in truncate);
    }

    int IRawFileSystem.Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        IFileHandle? handle = null;
        if (fh != 0 && _handles.TryGet(fh, out handle) && handle is IFileRead reader) return reader.Read(in ctx, offset, ref data);
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is INodeRead nodeReader) return nodeReader.Read(in ctx, handle, offset, ref data);
        return n.IsDirectory ? Errno.EISDIR : Errno.ENOSYS;
    }

    int IRawFileSystem.Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        if (_readOnly) return Errno.EROFS;
        IFileHandle? handle = null;
        if (fh != 0 && _handles.TryGet(fh, out handle) && handle is IFileWrite writer) return writer.Write(in ctx, offset, data, out written);
        if (!_nodes.TryGet(nodeId, out var n)) return Errno.ENOENT;
        if (n is INodeWrite nodeWriter) return nodeWriter.Write(in ctx, handle, offset, data, out written);
        return n.IsDirectory ? Errno.EISDIR : Errno.ENOSYS;
    }

    int IRawFileSystem.Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner) =>
        _handles.Get(fh) is IFileFlush flusher ? flusher.Flush(in ctx, lockOwner) : Status.Ok;

    int IRawFileSystem.Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync)
    {
        var handle = _handles.Get(fh);
        if (handle is IFileFsync syncer) return syncer.Fsync(in ctx, dataSync);
        // Success by default: ENOSYS would make the kernel skip FSYNC for the whole mount, nodes that sync included.
        return _nodes.Get(nodeId) is INodeFsync nodeSyncer ? nodeSyncer.Fsync(in ctx, handle, dataSync) : Status.Ok;
    }

    int IRawFileSystem.Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner)
    {
        if (_handles.Remove(fh, out var handle)) handle.Release(in ctx);
        return Status.Ok;
    }

    int IRawFileSystem.Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result) =>
        _handles.Get(lk.Fh) is IFileLocks locks ? locks.Getlk(in ctx, in lk, ref result) : Errno.ENOSYS;

    int IRawFileSystem.Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait) =>
        _handles.Get(lk.Fh) is IFileLocks locks ? locks.Setlk(in ctx, in lk, wait) : Errno.ENOSYS;

    int IRawFileSystem.Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode) =>
        _readOnly ? Errno.EROFS : Errno.ENOSYS;
}
