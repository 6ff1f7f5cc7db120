using FastFuse.Api;

namespace FastFuse.Nodes;

// Capabilities of a directory: names. The runtime answers LOOKUP of a child it already has in the tree itself; it
// asks INodeLookup only for a name it does not know. After a create, mkdir, mknod or symlink the new node joins the
// tree under its name (dynamic unless it is Persistent); after unlink, rmdir and rename the tree follows. Names are
// the kernel's bytes, checked to be 1-255 bytes without '/' or NUL.

/// <summary>
/// LOOKUP of a name the tree does not hold: a filesystem that makes its nodes when they are asked for (dynamic nodes).
/// Answer 0 and the node, which joins the tree (dynamic unless <see cref="Node.Persistent"/>: it leaves the tree
/// when the kernel forgets it), or an errno: ENOENT for no such name. Without this capability a name that is not in
/// the tree is ENOENT.
/// </summary>
public interface INodeLookup
{
    /// <summary>Find or make the child <c>name</c>; it must not be in another directory.</summary>
    int Lookup(in RequestContext ctx, ReadOnlySpan<byte> name, out Node? child);
}

/// <summary>
/// CREATE (open with O_CREAT of a name that is not there): make the file, open it, answer the node and its open file
/// handle (null for none: reads and writes then go to the node's <see cref="INodeRead"/>/<see cref="INodeWrite"/>),
/// and the FOPEN flags in <c>openFlags</c>. <c>mode</c> is the caller's, with the type bits;
/// <c>umask</c> the caller's umask, already applied by the kernel unless the filesystem asked for
/// FUSE_DONT_MASK. Without this capability CREATE answers EPERM (ENOSYS when the node implements
/// <see cref="INodeMknod"/>: the kernel then makes the file with MKNOD and opens it).
/// </summary>
public interface INodeCreate
{
    /// <summary>Make and open <c>name</c>; <c>flags</c> are the open(2) flags.</summary>
    int Create(in RequestContext ctx, ReadOnlySpan<byte> name, uint mode, uint umask, int flags,
        out Node? child, out IFileHandle? handle, ref Kernel.FopenFlags openFlags);
}

/// <summary>MKDIR: make the directory <c>name</c> and answer its node. Without it: ENOSYS.</summary>
public interface INodeMkdir
{
    /// <summary><c>mode</c> holds the permission bits; see <see cref="INodeCreate"/> for the umask.</summary>
    int Mkdir(in RequestContext ctx, ReadOnlySpan<byte> name, uint mode, uint umask, out Node? child);
}

/// <summary>MKNOD: make a regular file, fifo, socket or device node and answer its node. Without it: ENOSYS.</summary>
public interface INodeMknod
{
    /// <summary><c>mode</c> holds the type and permission bits, <c>rdev</c> the device number.</summary>
    int Mknod(in RequestContext ctx, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out Node? child);
}

/// <summary>SYMLINK: make a symlink <c>name</c> pointing at <c>target</c>. Without it: ENOSYS.</summary>
public interface INodeSymlink
{
    /// <summary>Make the link and answer its node (which should implement <see cref="INodeReadlink"/>).</summary>
    int Symlink(in RequestContext ctx, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out Node? child);
}

/// <summary>UNLINK: remove the name <c>name</c> (not a directory). On 0 the tree drops the child; the node
/// lives on while the kernel holds it (an open file). Without it: ENOSYS.</summary>
public interface INodeUnlink
{
    /// <summary><c>child</c> is the tree's node for the name, or null when the tree has none.</summary>
    int Unlink(in RequestContext ctx, ReadOnlySpan<byte> name, Node? child);
}

/// <summary>RMDIR: remove the empty directory <c>name</c>. On 0 the tree drops it. Without it: ENOSYS.</summary>
public interface INodeRmdir
{
    /// <summary><c>child</c> is the tree's node for the name, or null when the tree has none.</summary>
    int Rmdir(in RequestContext ctx, ReadOnlySpan<byte> name, Node? child);
}

/// <summary>
/// RENAME and RENAME2 of <c>name</c> in this directory to <c>newName</c> in
/// <c>newParent</c> (this directory or another). <c>flags</c>: RENAME_NOREPLACE,
/// RENAME_EXCHANGE, RENAME_WHITEOUT. On 0 the tree follows: the child moves (replacing what was at the new name),
/// or with RENAME_EXCHANGE the two swap. Without it: ENOSYS.
/// </summary>
public interface INodeRename
{
    /// <summary>Rename in the filesystem's own state; return 0 or an errno (EEXIST, ENOTEMPTY, EXDEV…).</summary>
    int Rename(in RequestContext ctx, ReadOnlySpan<byte> name, Node newParent, ReadOnlySpan<byte> newName, uint flags);
}
