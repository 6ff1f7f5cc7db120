using FastFuse.Kernel;

namespace FastFuse.Api;

/// <summary>
/// The inode-level filesystem API: one method per FUSE opcode, each answering <see cref="Errno.ENOSYS"/> until a
/// filesystem overrides it. Handlers return 0 (<see cref="Status.Ok"/>) after filling the reply they were handed,
/// a positive errno (<see cref="Errno"/>) to fail the request, or <see cref="Status.Deferred"/> after
/// <see cref="RequestContext.Defer"/>.
/// <para>Reply structs passed by <c>ref</c> (entry, attr, open…) live in the worker's pinned reply buffer and
/// arrive zeroed: write the fields you know and return. Names are the bytes the kernel sent, without the NUL,
/// already checked to hold no '/' or NUL. Handlers run on several worker threads at once.</para>
/// <para>An exception thrown by a handler becomes EIO for the caller and one log line; the worker goes on.</para>
/// </summary>
public interface IRawFileSystem
{
    /// <summary>Called once while answering the kernel's INIT. Read what the kernel offers, set what you want.</summary>
    void Init(FuseConnection connection) { }
    /// <summary>Called once when the session ends (DESTROY or unmount).</summary>
    void Destroy() { }

    /// <summary>LOOKUP: find <paramref name="name"/> in the directory <paramref name="parent"/> and fill
    /// <paramref name="entry"/>: its node id, attributes and cache timeouts. Each answer with a non-zero node id counts
    /// one lookup of that node, which the kernel gives back through <see cref="Forget"/>.</summary>
    /// <returns>0; ENOENT when there is no such name (not cached), or 0 with <c>entry.Nodeid</c> 0 and
    /// <c>entry.EntryValid</c> set to let the kernel cache the absence.</returns>
    int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry) => Errno.ENOSYS;
    /// <summary>The kernel drops <paramref name="nlookup"/> references to <paramref name="nodeId"/>. No reply.</summary>
    void Forget(ulong nodeId, ulong nlookup) { }
    /// <summary>Many forgets at once. The default calls <see cref="Forget"/> for each.</summary>
    void BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        foreach (ref readonly var f in forgets) Forget(f.Nodeid, f.Nlookup);
    }

    /// <summary><paramref name="fh"/> is the open file's handle when the kernel sent one (GETATTR_FH), else null.</summary>
    int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr) => Errno.ENOSYS;
    /// <summary><paramref name="changes"/>.Valid says which fields to apply (<see cref="SetattrValid"/>).</summary>
    int Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr) => Errno.ENOSYS;
    /// <summary>READLINK: answer the target of the symbolic link <paramref name="nodeId"/> through
    /// <paramref name="target"/> (its bytes, without a NUL).</summary>
    int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target) => Errno.ENOSYS;
    /// <summary>SYMLINK: create in <paramref name="parent"/> a symbolic link <paramref name="name"/> whose target is
    /// <paramref name="target"/>, and fill <paramref name="entry"/> as <see cref="Lookup"/> does.</summary>
    int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry) => Errno.ENOSYS;
    /// <summary><paramref name="umask"/> is the caller's umask (FUSE_DONT_MASK is negotiated: apply it yourself, once).</summary>
    int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry) => Errno.ENOSYS;
    /// <summary>MKDIR: create the directory <paramref name="name"/> in <paramref name="parent"/> with the permission
    /// bits <paramref name="mode"/> (<paramref name="umask"/> as in <see cref="Mknod"/>), and fill
    /// <paramref name="entry"/> as <see cref="Lookup"/> does.</summary>
    int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry) => Errno.ENOSYS;
    /// <summary>UNLINK: remove the name <paramref name="name"/>, which is not a directory, from
    /// <paramref name="parent"/>. The node itself lives on while the kernel holds lookups of it (an open file, for
    /// one).</summary>
    int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    /// <summary>RMDIR: remove the empty directory <paramref name="name"/> from <paramref name="parent"/> (ENOTEMPTY if
    /// it holds entries).</summary>
    int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    /// <summary>RENAME and RENAME2. <paramref name="flags"/>: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT.</summary>
    int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags) => Errno.ENOSYS;
    /// <summary>LINK: give the node <paramref name="nodeId"/> the new name <paramref name="newName"/> in
    /// <paramref name="newParent"/> (a hard link), and fill <paramref name="entry"/> as <see cref="Lookup"/>
    /// does.</summary>
    int Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry) => Errno.ENOSYS;

    /// <summary>Set <c>open.Fh</c> to your handle and <c>open.OpenFlags</c> (<see cref="FopenFlags"/>).</summary>
    int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => Errno.ENOSYS;
    /// <summary>Answer at most <paramref name="size"/> bytes through <paramref name="data"/>; fewer means end of file.</summary>
    int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data) => Errno.ENOSYS;
    /// <summary><paramref name="data"/> is a view of the kernel's buffer, valid only during the call.</summary>
    int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        return Errno.ENOSYS;
    }
    /// <summary>STATFS: fill <c>statfs.St</c> with the filesystem's statistics (<paramref name="nodeId"/> is the node
    /// statfs(2) was called on).</summary>
    int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs) => Errno.ENOSYS;
    /// <summary>RELEASE: the last reference to the open file <paramref name="fh"/> is gone (every descriptor closed,
    /// every mapping unmapped): free the handle. <paramref name="flags"/> are the open flags,
    /// <paramref name="releaseFlags"/> <see cref="ReleaseFlags"/>, <paramref name="lockOwner"/> the owner whose
    /// flock(2) locks go with it. Nobody sees the answer: the default answers 0.</summary>
    int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner) => Status.Ok;
    /// <summary>FSYNC: flush the open file <paramref name="fh"/> to stable storage; only its data, not its metadata,
    /// when <paramref name="dataSync"/> (fdatasync(2)).</summary>
    int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Errno.ENOSYS;
    /// <summary>SETXATTR: set the extended attribute <paramref name="name"/> to <paramref name="value"/>.
    /// <paramref name="flags"/>: <see cref="Linux.XATTR_CREATE"/> (EEXIST if it exists),
    /// <see cref="Linux.XATTR_REPLACE"/> (ENODATA if it does not), or 0.</summary>
    int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => Errno.ENOSYS;
    /// <summary>GETXATTR: answer the value of the extended attribute <paramref name="name"/> through
    /// <paramref name="value"/> (<see cref="XattrReply.Set"/> handles the size probe and ERANGE); ENODATA when the node
    /// has no such attribute.</summary>
    int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value) => Errno.ENOSYS;
    /// <summary>Answer the names, each followed by a NUL, through <paramref name="names"/>.</summary>
    int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names) => Errno.ENOSYS;
    /// <summary>REMOVEXATTR: remove the extended attribute <paramref name="name"/>; ENODATA when there is
    /// none.</summary>
    int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    /// <summary>FLUSH: a descriptor of the open file <paramref name="fh"/> is being closed (once per close(2), so
    /// perhaps several times per open): write back what must be, and drop the POSIX locks of
    /// <paramref name="lockOwner"/>. An error reaches close(2); ENOSYS makes the kernel stop sending FLUSH.</summary>
    int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner) => Errno.ENOSYS;
    /// <summary>OPENDIR: open the directory <paramref name="nodeId"/>: set <c>open.Fh</c> to your handle and
    /// <c>open.OpenFlags</c> (<see cref="FopenFlags.CacheDir"/>, <see cref="FopenFlags.KeepCache"/>). The default
    /// answers 0 with handle 0.</summary>
    int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => Status.Ok;
    /// <summary>READDIR and READDIRPLUS (<see cref="DirectoryReply.IsPlus"/>). Add entries from <paramref name="offset"/> on
    /// until <see cref="DirectoryReply.Add"/> returns false. With IsPlus, each entry added other than "." and ".."
    /// counts one lookup of its node, exactly as a LOOKUP reply does.</summary>
    int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries) => Errno.ENOSYS;
    /// <summary>RELEASEDIR: the last reference to the open directory <paramref name="fh"/> is gone: free the handle.
    /// The default answers 0.</summary>
    int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags) => Status.Ok;
    /// <summary>FSYNCDIR: flush the open directory <paramref name="fh"/> to stable storage (only its data when
    /// <paramref name="dataSync"/>).</summary>
    int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Errno.ENOSYS;
    /// <summary>GETLK (with <see cref="InitFlags.PosixLocks"/>): fill <c>result.Lk</c> with a lock that conflicts with
    /// <c>lk.Lk</c>, or set its Type to <see cref="Linux.F_UNLCK"/> when none does.</summary>
    int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result) => Errno.ENOSYS;
    /// <summary>SETLK and SETLKW: take <c>lk.Lk</c> for <c>lk.Owner</c>, or release it (Type
    /// <see cref="Linux.F_UNLCK"/>). With <paramref name="wait"/>, block until it can be taken (EINTR when the request
    /// is interrupted); without it, answer EAGAIN when it conflicts. flock(2) locks come with
    /// <see cref="LkFlags.Flock"/> in <c>lk.LkFlags</c> (with <see cref="InitFlags.FlockLocks"/>).</summary>
    int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait) => Errno.ENOSYS;
    /// <summary>ACCESS: may the caller (<paramref name="ctx"/>) reach the node as <paramref name="mask"/> asks
    /// (<see cref="Linux.F_OK"/>, or <see cref="Linux.R_OK"/>, <see cref="Linux.W_OK"/>, <see cref="Linux.X_OK"/>)? 0
    /// or EACCES. Sent only without default_permissions; ENOSYS makes the kernel allow every later access.</summary>
    int Access(in RequestContext ctx, ulong nodeId, int mask) => Errno.ENOSYS;
    /// <summary>CREATE: create the regular file <paramref name="name"/> in <paramref name="parent"/> with
    /// <paramref name="mode"/> and open it with <paramref name="flags"/> (<paramref name="umask"/> as in
    /// <see cref="Mknod"/>); fill <paramref name="entry"/> as <see cref="Lookup"/> does and <paramref name="open"/> as
    /// <see cref="Open"/> does. ENOSYS makes the kernel use MKNOD and OPEN instead from then on.</summary>
    int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open) => Errno.ENOSYS;
    /// <summary>BMAP (fuseblk mounts): replace <paramref name="block"/>, a block of the file of
    /// <paramref name="blockSize"/> bytes, by the device block that holds it.</summary>
    int Bmap(in RequestContext ctx, ulong nodeId, uint blockSize, ref ulong block) => Errno.ENOSYS;
    /// <summary>poll(2), select, epoll on an open file: answer the ready events (POLLIN…) of <paramref name="events"/>
    /// in <c>result.Revents</c>. When <paramref name="flags"/> holds FUSE_POLL_SCHEDULE_NOTIFY (<see cref="PollFlags"/>)
    /// and the file is not ready, remember <paramref name="kh"/> and call <see cref="Notify.Notifier.PollWakeup"/>
    /// with it once it is: the kernel then polls again. ENOSYS (the default) makes the kernel answer every later
    /// poll itself (readable and writable), as regular files on a local filesystem are.</summary>
    int Poll(in RequestContext ctx, ulong nodeId, ulong fh, ulong kh, uint flags, uint events, ref FusePollOut result) => Errno.ENOSYS;
    /// <summary>
    /// ioctl(2) on an open file or directory (<paramref name="flags"/>: <see cref="IoctlFlags"/>, Dir for a directory,
    /// Compat/Bit32 for a 32-bit caller). The kernel sends a FUSE mount restricted ioctls only: it sized the data
    /// from <paramref name="cmd"/>'s encoding (_IOC_SIZE), so <paramref name="input"/> holds what an _IOW command
    /// passes and <paramref name="output"/> has room for what an _IOR command returns (zeroed; the kernel's own
    /// FS_IOC_GETFLAGS/SETFLAGS pass a 4-byte int). <paramref name="arg"/> is the caller's argument as a number (an
    /// address in the caller, never yours to follow). Set <paramref name="result"/> (the ioctl's return value, ≥ 0)
    /// and <paramref name="written"/> (bytes of output), or return an errno: ENOTTY for a command you do not know.
    /// ENOSYS (the default) makes every ioctl on the mount fail with ENOTTY.
    /// </summary>
    int Ioctl(in RequestContext ctx, ulong nodeId, ulong fh, uint flags, uint cmd, ulong arg, ReadOnlySpan<byte> input, Span<byte> output, out int result, out int written)
    {
        result = 0;
        written = 0;
        return Errno.ENOSYS;
    }
    /// <summary>FALLOCATE: allocate or deallocate <paramref name="length"/> bytes of the open file
    /// <paramref name="fh"/> from <paramref name="offset"/>; <paramref name="mode"/> holds fallocate(2)'s FALLOC_FL_*
    /// bits (<see cref="Linux.FALLOC_FL_KEEP_SIZE"/>…). ENOSYS makes the kernel answer EOPNOTSUPP from then
    /// on.</summary>
    int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode) => Errno.ENOSYS;
    /// <summary>LSEEK: set <paramref name="result"/> to the next data (<see cref="Linux.SEEK_DATA"/>) or hole
    /// (<see cref="Linux.SEEK_HOLE"/>, the <paramref name="whence"/>) at or after <paramref name="offset"/> in the open
    /// file <paramref name="fh"/>; ENXIO when the offset is at or past the end. ENOSYS makes the kernel treat every
    /// file as all data from then on.</summary>
    int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        return Errno.ENOSYS;
    }
    /// <summary>COPY_FILE_RANGE and COPY_FILE_RANGE_64: copy <paramref name="length"/> bytes from the file
    /// <paramref name="nodeIn"/> (handle <paramref name="fhIn"/>) at <paramref name="offsetIn"/> to the file
    /// <paramref name="nodeOut"/> (handle <paramref name="fhOut"/>) at <paramref name="offsetOut"/>, and set
    /// <paramref name="copied"/> (fewer is allowed). <paramref name="flags"/> are copy_file_range(2)'s (0). ENOSYS
    /// makes the kernel copy through READ and WRITE from then on.</summary>
    int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        return Errno.ENOSYS;
    }
    /// <summary>SYNCFS: flush the whole filesystem to stable storage (syncfs(2) on the mount). ENOSYS makes the kernel
    /// stop sending it.</summary>
    int Syncfs(in RequestContext ctx, ulong nodeId) => Errno.ENOSYS;

    /// <summary>open(O_TMPFILE) in directory <paramref name="parent"/>: create a file with no name (nlink 0), open it,
    /// answer its entry and handle as <see cref="Create"/> does. Without O_EXCL in <paramref name="flags"/> the file
    /// may later be given a name by <see cref="Link"/> (linkat), which then links a node whose nlink is 0.
    /// ENOSYS (the default) makes the kernel answer EOPNOTSUPP to every later O_TMPFILE on this mount.</summary>
    int Tmpfile(in RequestContext ctx, ulong parent, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open) => Errno.ENOSYS;

    /// <summary>statx(2) when the caller asked for more than GETATTR carries (the kernel asks for the basic fields and
    /// btime, in <paramref name="mask"/>). Fill <c>statx.Stat</c> with its <c>Mask</c> saying which fields are valid,
    /// and <c>statx.AttrValid</c>. ENOSYS (the default) makes the kernel use GETATTR from then on, without btime.</summary>
    int Statx(in RequestContext ctx, ulong nodeId, ulong? fh, uint flags, uint mask, ref FuseStatxOut statx) => Errno.ENOSYS;
}
