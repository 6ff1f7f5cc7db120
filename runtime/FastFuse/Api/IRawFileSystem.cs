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
    int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target) => Errno.ENOSYS;
    int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry) => Errno.ENOSYS;
    /// <summary><paramref name="umask"/> is the caller's umask (FUSE_DONT_MASK is negotiated: apply it yourself, once).</summary>
    int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry) => Errno.ENOSYS;
    int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry) => Errno.ENOSYS;
    int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    /// <summary>RENAME and RENAME2. <paramref name="flags"/>: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT.</summary>
    int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags) => Errno.ENOSYS;
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
    int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs) => Errno.ENOSYS;
    int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner) => Status.Ok;
    int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Errno.ENOSYS;
    int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => Errno.ENOSYS;
    int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value) => Errno.ENOSYS;
    /// <summary>Answer the names, each followed by a NUL, through <paramref name="names"/>.</summary>
    int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names) => Errno.ENOSYS;
    int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name) => Errno.ENOSYS;
    int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner) => Errno.ENOSYS;
    int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => Status.Ok;
    /// <summary>READDIR and READDIRPLUS (<see cref="DirectoryReply.IsPlus"/>). Add entries from <paramref name="offset"/> on
    /// until <see cref="DirectoryReply.Add"/> returns false. With IsPlus, each entry added other than "." and ".."
    /// counts one lookup of its node, exactly as a LOOKUP reply does.</summary>
    int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries) => Errno.ENOSYS;
    int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags) => Status.Ok;
    int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) => Errno.ENOSYS;
    int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result) => Errno.ENOSYS;
    int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait) => Errno.ENOSYS;
    int Access(in RequestContext ctx, ulong nodeId, int mask) => Errno.ENOSYS;
    int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open) => Errno.ENOSYS;
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
    int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode) => Errno.ENOSYS;
    int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        return Errno.ENOSYS;
    }
    int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        return Errno.ENOSYS;
    }
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
