using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// Capabilities: a node's content. A file may hand out a handle per open (INodeOpen → IFileHandle) and answer reads
// and writes there, or answer them on the node itself (INodeRead, INodeWrite) with or without handles: the handle's
// capability is asked first, then the node's.

/// <summary>
/// OPEN of a file (not a directory): check <c>flags</c> (the open(2) flags: O_ACCMODE, O_TRUNC with the
/// kernel's atomic_o_trunc, O_APPEND…), answer a handle object for this open or null, and FOPEN flags
/// (<see cref="FopenFlags.KeepCache"/>, <see cref="FopenFlags.DirectIo"/>…) in <c>openFlags</c>. The
/// handle is what the kernel's file handle (fh) stands for: READ, WRITE, FLUSH, FSYNC and locks on this open come
/// to it, and <see cref="IFileHandle.Release"/> once, when the last descriptor of the open is closed.
/// <para>Without this capability an open succeeds without a handle when it only reads, or when the node implements
/// <see cref="INodeWrite"/> (O_TRUNC then truncates through <see cref="INodeSetattr"/>); else EACCES.</para>
/// </summary>
public interface INodeOpen
{
    /// <summary>Open this node; return 0 or an errno.</summary>
    int Open(in RequestContext ctx, int flags, out IFileHandle? handle, ref FopenFlags openFlags);
}

/// <summary>READ answered by the node (when the open's handle does not implement <see cref="IFileRead"/>). Answer
/// at most <c>data.Limit</c> bytes from <c>offset</c> through <c>data</c>; fewer means end of
/// file. <c>handle</c> is the open's handle, or null. Without it (and no handle reader): ENOSYS.</summary>
public interface INodeRead
{
    /// <summary>Read from <c>offset</c>; return 0 or an errno.</summary>
    int Read(in RequestContext ctx, IFileHandle? handle, long offset, ref DataReply data);
}

/// <summary>WRITE answered by the node (when the open's handle does not implement <see cref="IFileWrite"/>).
/// <c>data</c> is a view of the kernel's buffer, valid during the call. Without it: ENOSYS.</summary>
public interface INodeWrite
{
    /// <summary>Write <c>data</c> at <c>offset</c>; set <c>written</c>.</summary>
    int Write(in RequestContext ctx, IFileHandle? handle, long offset, ReadOnlySpan<byte> data, out uint written);
}

/// <summary>FSYNC answered by the node (when the open's handle does not implement <see cref="IFileFsync"/>).
/// Without either, fsync succeeds: there is nothing to write back.</summary>
public interface INodeFsync
{
    /// <summary>Make what was written durable; <c>dataSync</c>: data only (fdatasync).</summary>
    int Fsync(in RequestContext ctx, IFileHandle? handle, bool dataSync);
}

/// <summary>READLINK of a symlink: answer the target through <c>target</c>. Without it: EINVAL (not a link).</summary>
public interface INodeReadlink
{
    /// <summary>Append the link's target (no NUL) to <c>target</c>.</summary>
    int Readlink(in RequestContext ctx, ref DataReply target);
}

/// <summary>
/// READDIR and READDIRPLUS of a directory whose listing is not its children in the tree (the default lists ".",
/// ".." and the tree's children, with stable offsets and, for READDIRPLUS, their attributes). Add entries from
/// <c>offset</c> on with <see cref="DirectoryReply.Add"/> until it returns false; each entry's offset
/// is the one that continues after it. Entries added this way carry no attributes, also in READDIRPLUS: the kernel
/// looks each name up (so the node ids stay the tree's).
/// </summary>
public interface INodeReaddir
{
    /// <summary>List from <c>offset</c> (0 is the start); return 0 or an errno.</summary>
    int Readdir(in RequestContext ctx, long offset, ref DirectoryReply entries);
}
