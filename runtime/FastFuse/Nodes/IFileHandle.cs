using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

/// <summary>
/// An open file, as an object: what <see cref="INodeOpen.Open"/> or <see cref="INodeCreate.Create"/> hands back for
/// one open(2). The runtime keeps it in a handle table under the file handle (fh) it gives the kernel, and passes
/// it back with every request on that open: to its own capabilities first (<see cref="IFileRead"/>,
/// <see cref="IFileWrite"/>, <see cref="IFileFlush"/>, <see cref="IFileFsync"/>, <see cref="IFileLocks"/>), then to
/// the node's. <see cref="Release"/> is called exactly once, when the kernel releases the open; the handle is then
/// dropped from the table. Several workers may call a handle at once (two threads reading one descriptor).
/// </summary>
public interface IFileHandle
{
    /// <summary>RELEASE: the last descriptor of this open was closed (or the filesystem is unmounting). Called once;
    /// the default does nothing.</summary>
    void Release(in RequestContext ctx) { }
}

/// <summary>READ on this open: at most <c>data.Limit</c> bytes from <c>offset</c>; fewer means end of file.</summary>
public interface IFileRead : IFileHandle
{
    /// <summary>Read from <c>offset</c>; return 0 or an errno.</summary>
    int Read(in RequestContext ctx, long offset, ref DataReply data);
}

/// <summary>WRITE on this open; <c>data</c> is a view of the kernel's buffer, valid during the call.</summary>
public interface IFileWrite : IFileHandle
{
    /// <summary>Write at <c>offset</c>; set <c>written</c>.</summary>
    int Write(in RequestContext ctx, long offset, ReadOnlySpan<byte> data, out uint written);
}

/// <summary>FLUSH: a descriptor of this open is being closed (close(2), once per descriptor; the errno reaches
/// close). Without it, flush succeeds.</summary>
public interface IFileFlush : IFileHandle
{
    /// <summary>Write back what this descriptor buffered; <c>lockOwner</c> identifies the closing process's locks.</summary>
    int Flush(in RequestContext ctx, ulong lockOwner);
}

/// <summary>FSYNC on this open.</summary>
public interface IFileFsync : IFileHandle
{
    /// <summary>Make what was written durable; <c>dataSync</c>: data only (fdatasync).</summary>
    int Fsync(in RequestContext ctx, bool dataSync);
}

/// <summary>POSIX record locks and flock on this open, when the filesystem keeps them
/// (<see cref="NodeFileSystemOptions.Locks"/>; otherwise the kernel keeps them itself and never asks).</summary>
public interface IFileLocks : IFileHandle
{
    /// <summary>GETLK: the lock that would block <c>lk</c>, or F_UNLCK in <c>result</c>.</summary>
    int Getlk(in RequestContext ctx, in FuseLkIn lk, ref FuseLkOut result);
    /// <summary>SETLK, or SETLKW when <c>wait</c> (answer EINTR when interrupted; see <see cref="RequestContext.Defer"/>).</summary>
    int Setlk(in RequestContext ctx, in FuseLkIn lk, bool wait);
}
