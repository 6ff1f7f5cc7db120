using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Filesystems.Native;
using FastFuse.Kernel;
using FastFuse.Session;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// Open files and directories, data, xattrs. A file handle is the real descriptor (fh = fd, with DirectHandle set for
// an O_DIRECT one: LoopbackFs.DirectIo.cs); a directory handle is its descriptor too, with a getdents64 buffer kept
// in _dirs.
public sealed partial class LoopbackFs
{
    private const int XattrNameMax = 255;
    private const int XattrSizeMax = 65536;

    /// <summary>Open files by descriptor (the FUSE handle).</summary>
    private readonly ConcurrentDictionary<int, OpenFile> _files = new();
    private readonly ConcurrentDictionary<int, DirHandle> _dirs = new();
    private int _passthroughWarned;

    // ---------------------------------------------------------------- files

    public unsafe int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        if (!_table.TryGet(nodeId, out var node)) return Errno.ENOENT;
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        // The kernel already resolved the name; /proc/self/fd/N reopens exactly this inode. O_NOFOLLOW would
        // refuse the magic link itself, and creation flags do not belong here.
        int f = SourceOpenFlags((flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL | O_NOCTTY | FuseConstants.OpenFlagExec)) | O_CLOEXEC);
        Span<byte> proc = stackalloc byte[32];
        int fd;
        // Safe: the path lives on this frame.
        fixed (byte* path = ProcPath(n.Fd, proc))
        {
            // The kernel's open for execve (FMODE_EXEC) needs execute permission, not read permission, as on ext4;
            // without default_permissions the kernel only checks that some x bit is set, so the caller's own
            // right to execute is checked here, with its fs ids.
            bool exec = (flags & (FuseConstants.OpenFlagExec | O_ACCMODE)) == FuseConstants.OpenFlagExec, asDaemon;
            using (Become(in ctx))
            {
                if (exec && !CallerMayExecute(n.Fd)) return Errno.EACCES;
                fd = OpenAt(AT_FDCWD, path, f, 0);
                if (fd < 0 && LoopSys.LastErrno() == Errno.EACCES && WriteOnlyFallback(f, flags) is int wo && wo >= 0)
                    fd = OpenAt(AT_FDCWD, path, wo, 0);
                asDaemon = fd < 0 && exec && LoopSys.LastErrno() == Errno.EACCES;
            }
            // Execute-only (mode 0111, 0001): the caller may run it but not read it, and the kernel must read it to
            // run it. The daemon opens it read-only with its own credentials (as passthrough_hp, which never
            // switches credentials, always does); the descriptor serves the kernel's exec reads only.
            if (asDaemon) fd = OpenAt(AT_FDCWD, path, f, 0);
        }
        if (fd < 0) return LoopSys.LastErrno();
        FinishOpen(in ctx, node, fd, flags, ref open);
        return Status.Ok;
    }

    /// <summary>faccessat2(X_OK) with the thread's fs ids (call it under <see cref="Become"/>).</summary>
    private static unsafe bool CallerMayExecute(int pathFd)
    {
        // Safe: the literal is pinned for the call.
        fixed (byte* empty = "\0"u8)
            return Syscall4(SysFaccessat2, pathFd, (long)empty, (int)Linux.X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
    }

    public unsafe int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        int err = CheckName(name);
        if (err != 0 || (err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        int fd;
        using (Become(in ctx))
        {
            // Safe: the NUL-terminated name lives on this frame. O_NOFOLLOW: never create through a symlink.
            fixed (byte* cname = CString(name, buf))
                fd = OpenAt(p.Fd, cname, SourceOpenFlags(flags) | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode & PermMask & ~umask);
            if (fd < 0) return LoopSys.LastErrno();
            if ((err = AdoptCreated(fd, ref entry)) != 0) return err;
        }
        return OpenCreated(in ctx, fd, flags, in entry, ref open);
    }

    /// <summary>O_TMPFILE: an unnamed file in the source directory, created as the caller (the source's own
    /// O_TMPFILE, so its linkability without O_EXCL is the source kernel's, and <see cref="Link"/> names it).</summary>
    public unsafe int Tmpfile(in RequestContext ctx, ulong parent, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        int err = Pin(parent, out var p);
        if (err != 0) return err;
        using var _pin = p;
        int fd;
        using (Become(in ctx))
        {
            // The kernel's flags carry O_TMPFILE (with O_DIRECTORY) already; O_CREAT never belongs with it.
            int f = SourceOpenFlags(flags & ~(O_CREAT | O_NOCTTY | O_NOFOLLOW | FuseConstants.OpenFlagExec)) | O_TMPFILE | O_CLOEXEC;
            // Safe: the literal is pinned for the call.
            fixed (byte* dot = "."u8)
                fd = OpenAt(p.Fd, dot, f, mode & PermMask & ~umask);
            if (fd < 0) return LoopSys.LastErrno();
            if ((err = AdoptCreated(fd, ref entry)) != 0) return err;
        }
        return OpenCreated(in ctx, fd, flags, in entry, ref open);
    }

    /// <summary>The node of a file just created and opened as <paramref name="fd"/>, from that descriptor and not from
    /// a name again (no race with a rename in between; an O_TMPFILE file has none); on failure <paramref name="fd"/>
    /// is closed.</summary>
    private unsafe int AdoptCreated(int fd, ref FuseEntryOut entry)
    {
        Span<byte> proc = stackalloc byte[32];
        int pathFd, err = 0;
        // Safe: the path lives on this frame.
        fixed (byte* path = ProcPath(fd, proc))
            pathFd = OpenAt(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
        if (pathFd < 0 || (err = Adopt(pathFd, ref entry)) != 0)
        {
            err = pathFd < 0 ? LoopSys.LastErrno() : err;
            Close(fd);
            return err;
        }
        return Status.Ok;
    }

    /// <summary>Answer the open of a file <see cref="AdoptCreated"/> made a node of (outside the caller's credentials:
    /// a passthrough backing file needs the daemon's).</summary>
    private int OpenCreated(in RequestContext ctx, int fd, int flags, in FuseEntryOut entry, ref FuseOpenOut open)
    {
        if (!_table.TryGet(entry.Nodeid, out var node))
        {
            Close(fd);  // cannot happen: the entry holds a reference until the kernel forgets it
            return Errno.ENOENT;
        }
        FinishOpen(in ctx, node, fd, flags, ref open);
        return Status.Ok;
    }

    private void FinishOpen(in RequestContext ctx, LoopNode node, int fd, int flags, ref FuseOpenOut open)
    {
        open.Fh = (uint)fd | ((flags & O_DIRECT) != 0 ? DirectHandle : 0);
        var mode = IoMode.Daemon;
        if (_connection is { } c && c.Has(InitFlags.Passthrough))
        {
            int backing = AcquireBacking(in ctx, node, fd);
            mode = backing > 0 ? IoMode.Passthrough : IoMode.Cached;
            if (backing > 0)
            {
                open.BackingId = backing;
                open.OpenFlags |= (uint)FopenFlags.Passthrough;
            }
        }
        if (_options.DirectIo && mode != IoMode.Passthrough) open.OpenFlags |= (uint)FopenFlags.DirectIo;
        else if (mode != IoMode.Passthrough) open.OpenFlags |= KeepCacheFlag(node, fd);
        _files[fd] = new OpenFile(node, mode);
    }

    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        if (offset < 0) return Errno.EINVAL;
        if (size <= 0) return Status.Ok;
        Accessed((int)fh, directory: false);
        if (IsDirect(fh)) return ReadDirect((int)fh, offset, size, ref data);
        // The runtime splices file → pipe → /dev/fuse, or falls back to pread; fewer bytes at end of file.
        data.AppendFile((int)fh, offset, size);
        return Status.Ok;
    }

    public unsafe int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        nint n;
        if (IsDirect(fh) && Misaligned(data))
        {
            n = PwriteAligned((int)fh, data, offset);
        }
        else
        {
            // Safe: data is the kernel's request buffer, valid for the whole call.
            fixed (byte* p = data)
                n = Pwrite((int)fh, p, (nuint)data.Length, offset);
        }
        if (n < 0) return LoopSys.LastErrno();
        written = (uint)n;
        return Status.Ok;
    }

    public int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner)
    {
        FlushLocks(nodeId, lockOwner);
        // close() of a duplicate does what close() in the caller would do on a local filesystem (NFS-style
        // flush-on-close, releasing POSIX locks of this owner) while the handle stays open.
        int d = Dup((int)fh);
        if (d < 0) return LoopSys.LastErrno();
        return Close(d) < 0 ? LoopSys.LastErrno() : Status.Ok;
    }

    public int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner)
    {
        int fd = (int)fh;
        if (_files.TryRemove(fd, out var file))
        {
            ReleaseLocks(nodeId, fh, releaseFlags);
            ReleaseBacking(in ctx, file);
            ForgetAtime(fd);
            Close(fd);
        }
        return Status.Ok;
    }

    public int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) =>
        (dataSync ? Fdatasync((int)fh) : LoopSys.Fsync((int)fh)) < 0 ? LoopSys.LastErrno() : Status.Ok;

    public int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode) =>
        LoopSys.Fallocate((int)fh, mode, offset, length) < 0 ? LoopSys.LastErrno() : Status.Ok;

    public int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        // Only SEEK_DATA/SEEK_HOLE reach us. The descriptor's own position is never used for I/O (pread/pwrite).
        result = LoopSys.Lseek((int)fh, offset, whence);
        return result < 0 ? LoopSys.LastErrno() : Status.Ok;
    }

    public unsafe int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        long offIn = offsetIn, offOut = offsetOut;
        // Safe: both offsets are locals.
        nint n = LoopSys.CopyFileRange((int)fhIn, &offIn, (int)fhOut, &offOut, (nuint)Math.Min(length, (ulong)int.MaxValue), (uint)flags);
        if (n < 0) return LoopSys.LastErrno();
        copied = (ulong)n;
        return Status.Ok;
    }

    public unsafe int Syncfs(in RequestContext ctx, ulong nodeId)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        int fd;
        // Safe: the path lives on this frame. syncfs refuses O_PATH descriptors, so open the inode for reading.
        fixed (byte* path = ProcPath(n.Fd, proc))
            fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0) return LoopSys.LastErrno();
        err = LoopSys.Syncfs(fd) < 0 ? LoopSys.LastErrno() : Status.Ok;
        Close(fd);
        return err;
    }

    // ---------------------------------------------------------------- directories

    /// <summary>An open directory: its descriptor and what getdents64 returned that was not yet sent.</summary>
    private sealed unsafe class DirHandle : IDisposable
    {
        public const int BufferSize = 32 * 1024;
        public readonly int Fd;
        /// <summary>Native, so the pointer stays put while getdents64 fills it.</summary>
        public byte* Buffer = (byte*)NativeMemory.Alloc(BufferSize);
        public int Filled;
        public int Used;
        /// <summary>The directory offset of the next entry to send (the d_off of the last sent one).</summary>
        public long Position;
        public readonly Lock Gate = new();

        public DirHandle(int fd) => Fd = fd;

        public void Dispose()
        {
            lock (Gate)
            {
                if (Buffer is null) return;
                NativeMemory.Free(Buffer);
                Buffer = null;
                Close(Fd);
            }
        }
    }

    public unsafe int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        int fd;
        // Safe: the path lives on this frame. Through /proc so that only read permission is needed, as opendir(3).
        fixed (byte* path = ProcPath(n.Fd, proc))
        using (Become(in ctx))
            fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return LoopSys.LastErrno();
        _dirs[fd] = new DirHandle(fd);
        open.Fh = (ulong)fd;
        return Status.Ok;
    }

    public int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags)
    {
        if (_dirs.TryRemove((int)fh, out var d))
        {
            ForgetAtime(d.Fd);
            d.Dispose();
        }
        return Status.Ok;
    }

    public int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync) =>
        (dataSync ? Fdatasync((int)fh) : LoopSys.Fsync((int)fh)) < 0 ? LoopSys.LastErrno() : Status.Ok;

    public unsafe int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        if (!_dirs.TryGetValue((int)fh, out var h)) return Errno.EBADF;
        // READDIRPLUS looks entries up relative to the directory's node (-1 when it cannot be had: plain entries).
        NodeFd dir = default;
        int dirFd = entries.IsPlus && Pin(nodeId, out dir) == 0 ? dir.Fd : -1;
        using var _pin = dir;
        lock (h.Gate)
        {
            if (h.Buffer is null) return Errno.EBADF;
            Accessed(h.Fd, directory: true);   // before getdents: it may switch the descriptor to O_NOATIME
            if (offset != h.Position)
            {
                // The kernel continues elsewhere (rewinddir, seekdir, or a reply cut short): the source's own
                // offsets (d_off) are what we handed out, so seek there and drop what was buffered.
                if (LoopSys.Lseek(h.Fd, offset, SEEK_SET) < 0) return LoopSys.LastErrno();
                h.Position = offset;
                h.Filled = h.Used = 0;
            }
            using (Become(in ctx))
            {
                while (true)
                {
                    if (h.Used >= h.Filled)
                    {
                        nint got = Getdents64(h.Fd, h.Buffer, DirHandle.BufferSize);
                        if (got < 0) return entries.Count > 0 ? Status.Ok : LoopSys.LastErrno();
                        if (got == 0) break; // end of directory
                        h.Filled = (int)got;
                        h.Used = 0;
                    }
                    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                    byte* e = h.Buffer + h.Used;
                    ulong ino = *(ulong*)e;
                    long next = *(long*)(e + 8);
                    int reclen = *(ushort*)(e + 16);
                    uint type = (uint)e[18] << 12; // DT_* << 12 is the S_IFMT form
                    var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(e + 19);
                    if (!AddEntry(dirFd, name, ino, type, next, ref entries)) break;
                    h.Used += reclen;
                    h.Position = next;
                }
            }
        }
        return Status.Ok;
    }

    /// <summary>One entry into the reply; for READDIRPLUS with its node and attributes (one more reference, taken
    /// back when the entry does not fit).</summary>
    private bool AddEntry(int dirFd, ReadOnlySpan<byte> name, ulong ino, uint type, long next, ref DirectoryReply entries)
    {
        bool dots = name.Length <= 2 && name[0] == (byte)'.' && (name.Length == 1 || name[1] == (byte)'.');
        if (!entries.IsPlus || dots || dirFd < 0 || name.Length > NameMax)
            return entries.Add(name, ino, type, next);
        FuseEntryOut entry = default;
        if (LookupAt(dirFd, name, ref entry) != 0)
            return entries.Add(name, ino, type, next); // vanished or not searchable: the kernel will LOOKUP it
        if (entries.AddPlus(name, in entry, next)) return true;
        Unref(entry.Nodeid, 1);
        return false;
    }

    // ---------------------------------------------------------------- xattrs

    // On /proc/self/fd/N of the O_PATH descriptor: the magic link jumps to the inode itself (a symlink included),
    // so the *following* variants act on the node and never on what a symlink points to.

    public unsafe int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        int err = CheckXattrName(name);
        if (err != 0 || (err = Pin(nodeId, out var n)) != 0) return err;
        using var _pin = n;
        if (value.Length > XattrSizeMax) return Errno.E2BIG;
        Span<byte> proc = stackalloc byte[32];
        Span<byte> buf = stackalloc byte[XattrNameMax + 1];
        // Safe: path, name and value are pinned on this frame (value is the request buffer) for the call.
        fixed (byte* path = ProcPath(n.Fd, proc))
        fixed (byte* cname = CString(name, buf))
        fixed (byte* v = value)
        using (Become(in ctx))
            return LoopSys.Setxattr(path, cname, v, (nuint)value.Length, flags & (int)(Linux.XATTR_CREATE | Linux.XATTR_REPLACE)) < 0
                ? LoopSys.LastErrno() : Status.Ok;
    }

    public unsafe int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        int err = CheckXattrName(name);
        if (err != 0 || (err = Pin(nodeId, out var n)) != 0) return err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        Span<byte> buf = stackalloc byte[XattrNameMax + 1];
        int size = (int)Math.Min(value.RequestedSize, (uint)XattrSizeMax);
        byte[]? tmp = size > 0 ? ArrayPool<byte>.Shared.Rent(size) : null;
        try
        {
            nint got;
            // Safe: path, name and tmp are pinned on this frame; getxattr writes at most size bytes.
            fixed (byte* path = ProcPath(n.Fd, proc))
            fixed (byte* cname = CString(name, buf))
            fixed (byte* t = tmp)
            using (Become(in ctx))
                got = LoopSys.Getxattr(path, cname, t, (nuint)size);
            if (got < 0) return LoopSys.LastErrno();
            if (value.IsSizeProbe)
            {
                value.Reserve((int)got, out _);
                return Status.Ok;
            }
            return value.Set(tmp.AsSpan(0, (int)got));
        }
        finally
        {
            if (tmp is not null) ArrayPool<byte>.Shared.Return(tmp);
        }
    }

    public unsafe int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        int size = (int)Math.Min(names.RequestedSize, (uint)XattrSizeMax);
        byte[]? tmp = size > 0 ? ArrayPool<byte>.Shared.Rent(size) : null;
        try
        {
            nint got;
            // Safe: path and tmp are pinned on this frame; listxattr writes at most size bytes.
            fixed (byte* path = ProcPath(n.Fd, proc))
            fixed (byte* t = tmp)
            using (Become(in ctx))
                got = LoopSys.Listxattr(path, t, (nuint)size);
            if (got < 0) return LoopSys.LastErrno();
            var dst = names.Reserve((int)got, out err);
            if (err != 0) return err;
            if (!names.IsSizeProbe) tmp.AsSpan(0, (int)got).CopyTo(dst);
            return Status.Ok;
        }
        finally
        {
            if (tmp is not null) ArrayPool<byte>.Shared.Return(tmp);
        }
    }

    public unsafe int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name)
    {
        int err = CheckXattrName(name);
        if (err != 0 || (err = Pin(nodeId, out var n)) != 0) return err;
        using var _pin = n;
        Span<byte> proc = stackalloc byte[32];
        Span<byte> buf = stackalloc byte[XattrNameMax + 1];
        // Safe: path and name are pinned on this frame.
        fixed (byte* path = ProcPath(n.Fd, proc))
        fixed (byte* cname = CString(name, buf))
        using (Become(in ctx))
            return LoopSys.Removexattr(path, cname) < 0 ? LoopSys.LastErrno() : Status.Ok;
    }

    private static int CheckXattrName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > XattrNameMax) return Errno.ERANGE;
        if (name.IndexOf((byte)0) >= 0) return Errno.EINVAL;
        return Status.Ok;
    }
}
