using System.Collections.Concurrent;
using FastFuse.Api;
using FastFuse.Filesystems.Native;
using FastFuse.Inodes;
using Statx = FastFuse.Interop.Statx;
using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

/// <summary>
/// Mirrors a directory of the host (<c>fastfuse loopback SOURCE MOUNTPOINT</c>).
/// <para><b>By inode, never by path.</b> Each node the kernel knows holds an O_PATH descriptor of its source
/// inode, and every operation is an *at syscall relative to such a descriptor (or to <c>/proc/self/fd/N</c> for
/// the few calls that cannot take an O_PATH descriptor directly), so renaming a parent does not break anything
/// below it and paths are never longer than one name. Nodes are keyed by the source's (st_dev, st_ino): all hard
/// links of an inode are one node.</para>
/// <para><b>Safety.</b> A name from the kernel that holds '/' or is "." or ".." is refused before any syscall
/// (EINVAL); names are resolved one at a time with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH, so no
/// symlink is ever followed by the daemon and nothing outside SOURCE can be reached through the mount. Requests
/// run with the caller's fsuid/fsgid/groups (see LoopbackFs.Creds.cs), so the source applies its own permission
/// rules to the caller.</para>
/// <para><b>Process-wide effect:</b> the constructor sets the process umask to 0, because FUSE_DONT_MASK hands us
/// the caller's umask and we apply it ourselves; the daemon's umask must not be applied a second time.</para>
/// <para>Reference counts: one per LOOKUP/CREATE/MKNOD/MKDIR/SYMLINK/LINK reply and per READDIRPLUS entry; FORGET
/// takes them back; at zero the O_PATH descriptor is closed. Open files and directories keep a real descriptor,
/// which is their FUSE handle.</para>
/// </summary>
public sealed partial class LoopbackFs : IRawFileSystem, IDisposable
{
    private const int NameMax = 255;
    private const int PathMax = 4096;
    private const uint PermMask = 0xFFF; // 07777

    private readonly LoopbackOptions _options;
    private readonly InodeTable<LoopNode> _table;
    private readonly Dictionary<(ulong Dev, ulong Ino), LoopNode> _byInode = new();
    private readonly Lock _mapLock = new();
    private readonly LoopNode _root;
    /// <summary>Mount id → a descriptor on that mount (for open_by_handle_at). Under _mapLock.</summary>
    private readonly Dictionary<int, int> _mountFds = new();
    /// <summary>How many nodes may keep an O_PATH descriptor; the rest keep file handles (see <see cref="NewNode"/>).</summary>
    private readonly long _fdBudget = DescriptorBudget();
    private long _pathFds;
    private readonly ulong _entrySec, _attrSec, _negSec;
    private readonly uint _entryNsec, _attrNsec, _negNsec;
    private FuseConnection? _connection;
    private int _disposed;

    /// <summary>One source inode the kernel holds references to.</summary>
    private sealed class LoopNode(int fd, ulong dev, ulong ino)
    {
        /// <summary>O_PATH descriptor of the inode, closed when the last reference goes; -1 when the node keeps
        /// a file handle instead (past the descriptor budget).</summary>
        public readonly int Fd = fd;
        public readonly ulong Dev = dev;
        public readonly ulong Ino = ino;
        public ulong Id;
        /// <summary>struct file_handle from name_to_handle_at, when <see cref="Fd"/> is -1.</summary>
        public byte[]? Handle;
        /// <summary>A descriptor on the inode's mount, for open_by_handle_at.</summary>
        public int MountFd = -1;
        // Passthrough state of the inode's open files (LoopbackFs.Backing.cs), under lock(this).
        /// <summary>The backing id every passthrough open of the inode carries; 0 when none is open.</summary>
        public int BackingId;
        /// <summary>Open handles answered with FOPEN_PASSTHROUGH and <see cref="BackingId"/>.</summary>
        public int PassthroughOpens;
        /// <summary>Open handles served through the daemon while passthrough is on.</summary>
        public int CachedOpens;
        // auto_cache (LoopbackFs.Cache.cs), under lock(this): mtime and size at the last open.
        public long CachedMtimeNs;
        public ulong CachedSize;
        public bool CacheSeen;
    }

    /// <summary>A node's O_PATH descriptor for the length of one request: the node's own, or one opened from its
    /// file handle that <see cref="Dispose"/> closes.</summary>
    private readonly struct NodeFd(int fd, bool owned) : IDisposable
    {
        public readonly int Fd = fd;
        private readonly bool _owned = owned;

        public void Dispose()
        {
            if (_owned) Close(Fd);
        }
    }

    /// <param name="sourceDir">The directory to mirror. It is opened once, here; if it is a symlink, it is followed
    /// (it is the operator's choice, not the caller's).</param>
    public LoopbackFs(string sourceDir, LoopbackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sourceDir);
        _options = options ?? new LoopbackOptions();
        if (_options.WritebackCache && _options.Passthrough)
            throw new ArgumentException("WritebackCache and Passthrough cannot be used together: the kernel refuses passthrough with writeback caching", nameof(options));
        if (_options.KernelCache && _options.AutoCache)
            throw new ArgumentException("KernelCache and AutoCache contradict each other", nameof(options));
        CacheTimeout.Split(_options.EntryTimeout, out _entrySec, out _entryNsec);
        CacheTimeout.Split(_options.AttrTimeout, out _attrSec, out _attrNsec);
        CacheTimeout.Split(_options.NegativeTimeout, out _negSec, out _negNsec);

        int fd = LoopSys.Open(sourceDir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"cannot open {sourceDir}: {Errno.Name(LoopSys.LastErrno())}");
        if (StatFd(fd, out var st) is var err && err != 0)
        {
            Close(fd);
            throw new IOException($"cannot stat {sourceDir}: {Errno.Name(err)}");
        }
        _root = new LoopNode(fd, Dev(in st), st.Ino);
        _table = new InodeTable<LoopNode>(_root);
        _root.Id = InodeTable<LoopNode>.RootId;
        _byInode[(_root.Dev, _root.Ino)] = _root;
        RegisterMount(fd);
        _sourceAtime = SourceAtime(fd);

        // Process-wide, once: the caller's umask comes with each request (FUSE_DONT_MASK) and is applied by us.
        Umask(0);
        _switchCreds = Geteuid() == 0;
        if (_switchCreds) _daemonGroups = ReadDaemonGroups();
    }

    /// <summary>The options this filesystem runs with.</summary>
    public LoopbackOptions Options => _options;
    /// <summary>Nodes alive in the inode table (root included).</summary>
    public int LiveNodes => _table.LiveCount;
    /// <summary>Files open through the mount (handles not yet released).</summary>
    public int OpenFiles => _files.Count;

    public void Init(FuseConnection connection)
    {
        _connection = connection;
        connection.Want |= InitFlags.DontMask | InitFlags.AtomicOTrunc | InitFlags.DoReaddirplus |
                           InitFlags.ReaddirplusAuto | InitFlags.ParallelDirops | InitFlags.BigWrites |
                           InitFlags.AsyncRead | InitFlags.PosixLocks | InitFlags.FlockLocks;
        if (_options.WritebackCache) connection.Want |= InitFlags.WritebackCache;
        if (_options.Passthrough)
        {
            connection.Want |= InitFlags.Passthrough;
            connection.Want &= ~InitFlags.WritebackCache; // the kernel refuses passthrough with writeback caching
            connection.MaxStackDepth = 1;
        }
    }

    public void Destroy() { }

    // ---------------------------------------------------------------- helpers

    private static ulong Dev(in Statx st) => ((ulong)st.DevMajor << 32) | st.DevMinor;

    /// <summary>Checks a name from the kernel before it may reach a syscall.</summary>
    private static int CheckName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty) return Errno.ENOENT;
        if (name.Length > NameMax) return Errno.ENAMETOOLONG;
        if (name[0] == (byte)'.' && (name.Length == 1 || (name.Length == 2 && name[1] == (byte)'.')))
            return Errno.EINVAL;
        if (name.IndexOfAny((byte)'/', (byte)0) >= 0) return Errno.EINVAL;
        return Status.Ok;
    }

    /// <summary>Copies a checked name into <paramref name="buf"/> with its NUL.</summary>
    private static Span<byte> CString(ReadOnlySpan<byte> name, Span<byte> buf)
    {
        name.CopyTo(buf);
        buf[name.Length] = 0;
        return buf[..(name.Length + 1)];
    }

    /// <summary>"/proc/self/fd/N\0" into <paramref name="buf"/> (32 bytes): the inode behind an O_PATH descriptor,
    /// for calls that need a real path (chmod, open, xattrs). It is a magic link: resolving it jumps straight to
    /// that inode, with no name lookup in the source.</summary>
    private static Span<byte> ProcPath(int fd, Span<byte> buf)
    {
        "/proc/self/fd/"u8.CopyTo(buf);
        fd.TryFormat(buf[14..], out int n);
        buf[14 + n] = 0;
        return buf[..(15 + n)];
    }

    /// <summary>The basic statx fields of <paramref name="fd"/> (an O_PATH descriptor or an open file).</summary>
    private static int StatFd(int fd, out Statx st) => StatFd(fd, STATX_BASIC_STATS, 0, out st);

    /// <summary>FUSE's 32-bit device number (new_encode_dev) from major and minor.</summary>
    private static uint EncodeDev(uint major, uint minor) => (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);

    /// <summary>glibc's 64-bit dev_t from FUSE's 32-bit encoding.</summary>
    private static ulong DecodeDev(uint rdev)
    {
        ulong major = (rdev & 0xfff00) >> 8;
        ulong minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
        return ((major & 0xfff) << 8) | (minor & 0xff) | ((major & ~0xfffUL) << 32) | ((minor & ~0xffUL) << 12);
    }

    private static void FillAttr(in Statx st, ref FuseAttr a)
    {
        a.Ino = st.Ino;
        a.Size = st.Size;
        a.Blocks = st.Blocks;
        a.Atime = (ulong)st.Atime.Sec;
        a.Atimensec = st.Atime.Nsec;
        a.Mtime = (ulong)st.Mtime.Sec;
        a.Mtimensec = st.Mtime.Nsec;
        a.Ctime = (ulong)st.Ctime.Sec;
        a.Ctimensec = st.Ctime.Nsec;
        a.Mode = st.Mode;
        a.Nlink = st.Nlink;
        a.Uid = st.Uid;
        a.Gid = st.Gid;
        a.Rdev = EncodeDev(st.RdevMajor, st.RdevMinor);
        a.Blksize = st.Blksize;
    }

    private void FillEntry(LoopNode n, in Statx st, ref FuseEntryOut entry)
    {
        entry.Nodeid = n.Id;
        entry.Generation = 0;
        entry.EntryValid = _entrySec;
        entry.EntryValidNsec = _entryNsec;
        entry.AttrValid = _attrSec;
        entry.AttrValidNsec = _attrNsec;
        FillAttr(in st, ref entry.Attr);
    }

    /// <summary>
    /// The O_PATH descriptor of node <paramref name="id"/> for this request; dispose it when done. Call it before
    /// <see cref="Become"/>: reopening a file handle needs the daemon's CAP_DAC_READ_SEARCH.
    /// </summary>
    private int Pin(ulong id, out NodeFd pinned)
    {
        pinned = default;
        if (!_table.TryGet(id, out var n)) return Errno.ENOENT;
        if (n.Fd >= 0)
        {
            pinned = new NodeFd(n.Fd, false);
            return Status.Ok;
        }
        int fd;
        unsafe
        {
            // Safe: the handle array is pinned for the call; the kernel only reads it.
            fixed (byte* h = n.Handle)
                fd = OpenByHandleAt(n.MountFd, h, O_PATH | O_CLOEXEC);
        }
        if (fd < 0) return LoopSys.LastErrno(); // ESTALE: the inode is gone
        pinned = new NodeFd(fd, true);
        return Status.Ok;
    }

    /// <summary>Half the descriptor limit (RLIMIT_NOFILE) for nodes; the rest is for open files, directories and
    /// the runtime. Past it, nodes keep a file handle (name_to_handle_at) and are reopened per request, as
    /// virtiofsd does: the kernel may remember far more inodes than a process may hold descriptors.</summary>
    private static unsafe long DescriptorBudget()
    {
        ulong* lim = stackalloc ulong[2];
        // Safe: lim is two words on this frame (struct rlimit {cur, max}).
        if (Getrlimit(RLIMIT_NOFILE, lim) != 0 || lim[0] == ulong.MaxValue) return 1 << 20;
        return Math.Max(64, (long)(lim[0] / 2));
    }

    // ---------------------------------------------------------------- the node table

    /// <summary>
    /// Takes ownership of <paramref name="fd"/> (an O_PATH descriptor), stats it and answers the node of its inode
    /// with one more reference: an existing node when the inode is known (then <paramref name="fd"/> is closed),
    /// else a new one holding <paramref name="fd"/>.
    /// </summary>
    private int Adopt(int fd, ref FuseEntryOut entry)
    {
        int err = StatFd(fd, out var st);
        if (err != 0)
        {
            Close(fd);
            return err;
        }
        var node = Intern(fd, Dev(in st), st.Ino, st.Mode);
        FillEntry(node, in st, ref entry);
        return Status.Ok;
    }

    private LoopNode Intern(int fd, ulong dev, ulong ino, uint mode)
    {
        LoopNode? existing;
        lock (_mapLock)
        {
            // A node whose count already reached zero cannot be acquired: it is being forgotten, and its
            // descriptor is about to close. Replace it in the map; its Forget removes only itself.
            if (!_byInode.TryGetValue((dev, ino), out existing) || !_table.Acquire(existing.Id))
            {
                var node = NewNode(fd, dev, ino, mode);
                node.Id = _table.Add(node, 1);
                _byInode[(dev, ino)] = node;
                return node;
            }
        }
        Close(fd);
        return existing;
    }

    /// <summary>A node for a new inode (under _mapLock): keeps <paramref name="fd"/> within the budget, else
    /// trades it for a file handle (and closes it). Filesystems without handles keep the descriptor.</summary>
    private unsafe LoopNode NewNode(int fd, ulong dev, ulong ino, uint mode)
    {
        if (Interlocked.Read(ref _pathFds) < _fdBudget)
        {
            Interlocked.Increment(ref _pathFds);
            return new LoopNode(fd, dev, ino);
        }
        byte* h = stackalloc byte[8 + MaxHandleSize];
        *(uint*)h = MaxHandleSize;
        int mountId;
        // Safe: h has room for the 8-byte header and MaxHandleSize bytes, as its first word says; mountId is a local.
        fixed (byte* empty = "\0"u8)
        {
            if (NameToHandleAt(fd, empty, h, &mountId, AT_EMPTY_PATH) != 0)
            {
                Interlocked.Increment(ref _pathFds);
                return new LoopNode(fd, dev, ino);
            }
        }
        // open_by_handle_at wants a real (not O_PATH) descriptor on the mount: take a directory of that mount,
        // opened O_RDONLY. Until one has been seen, nodes on that mount keep their descriptor.
        if (!_mountFds.TryGetValue(mountId, out int mountFd))
        {
            if ((mode & Linux.S_IFMT) != Linux.S_IFDIR || (mountFd = ReopenDirectory(fd)) < 0)
            {
                Interlocked.Increment(ref _pathFds);
                return new LoopNode(fd, dev, ino);
            }
            _mountFds[mountId] = mountFd;
        }
        var handle = new ReadOnlySpan<byte>(h, 8 + (int)*(uint*)h).ToArray();
        Close(fd);
        return new LoopNode(-1, dev, ino) { Handle = handle, MountFd = mountFd };
    }

    /// <summary>Remembers a descriptor on the mount of directory <paramref name="dirPathFd"/> for open_by_handle_at.</summary>
    private unsafe void RegisterMount(int dirPathFd)
    {
        byte* h = stackalloc byte[8 + MaxHandleSize];
        *(uint*)h = MaxHandleSize;
        int mountId;
        // Safe: h has the room its first word declares; mountId is a local.
        fixed (byte* empty = "\0"u8)
            if (NameToHandleAt(dirPathFd, empty, h, &mountId, AT_EMPTY_PATH) != 0) return; // no handles here
        if (_mountFds.ContainsKey(mountId)) return;
        int mountFd = ReopenDirectory(dirPathFd);
        if (mountFd >= 0) _mountFds[mountId] = mountFd;
    }

    /// <summary>An O_RDONLY descriptor of the directory behind an O_PATH one (daemon credentials), or -1.</summary>
    private static unsafe int ReopenDirectory(int pathFd)
    {
        Span<byte> proc = stackalloc byte[32];
        // Safe: the path lives on this frame.
        fixed (byte* path = ProcPath(pathFd, proc))
            return OpenAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    }

    private void Unref(ulong nodeId, long n)
    {
        if (n <= 0 || !_table.Release(nodeId, n, out var freed)) return;
        lock (_mapLock)
        {
            if (_byInode.TryGetValue((freed.Dev, freed.Ino), out var cur) && ReferenceEquals(cur, freed))
                _byInode.Remove((freed.Dev, freed.Ino));
        }
        if (freed.Fd >= 0)
        {
            Close(freed.Fd);
            Interlocked.Decrement(ref _pathFds);
        }
    }

    /// <summary>Looks up a checked <paramref name="name"/> in <paramref name="parent"/> without following it.</summary>
    private unsafe int LookupAt(int parentFd, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        Span<byte> buf = stackalloc byte[NameMax + 1];
        int fd;
        // Safe: the NUL-terminated name lives on this frame for the whole call.
        fixed (byte* p = CString(name, buf))
            fd = OpenAt(parentFd, p, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) return LoopSys.LastErrno();
        return Adopt(fd, ref entry);
    }

    // ---------------------------------------------------------------- lookup, forget, attributes

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        int err = CheckName(name);
        if (err != 0) return err;
        if ((err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        using (Become(in ctx)) err = LookupAt(p.Fd, name, ref entry);
        if (err == Errno.ENOENT && (_negSec | _negNsec) != 0)
        {
            entry = default;                 // a cached miss
            entry.EntryValid = _negSec;
            entry.EntryValidNsec = _negNsec;
            return Status.Ok;
        }
        return err;
    }

    public void Forget(ulong nodeId, ulong nlookup) => Unref(nodeId, (long)Math.Min(nlookup, (ulong)long.MaxValue));

    public void BatchForget(ReadOnlySpan<FuseForgetOne> forgets)
    {
        foreach (ref readonly var f in forgets) Forget(f.Nodeid, f.Nlookup);
    }

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        int err;
        Statx st;
        if (fh is ulong open)
        {
            // fstat of an open file: the handle is the real descriptor (works for an unlinked file too).
            if ((err = StatFd((int)open, out st)) != 0) return err;
        }
        else
        {
            if ((err = Pin(nodeId, out var n)) != 0) return err;
            using var _pin = n;
            if ((err = StatFd(n.Fd, out st)) != 0) return err;
        }
        attr.AttrValid = _attrSec;
        attr.AttrValidNsec = _attrNsec;
        FillAttr(in st, ref attr.Attr);
        return Status.Ok;
    }

    public unsafe int Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        var valid = (SetattrValid)changes.Valid;
        Span<byte> proc = stackalloc byte[32];
        ProcPath(n.Fd, proc);
        TimeSpec64* ts = stackalloc TimeSpec64[2];
        bool timesAsDaemon = false;
        // Safe: proc and the empty literal are pinned on this frame for every call below.
        fixed (byte* path = proc)
        fixed (byte* empty = "\0"u8)
        {
            using (Become(in ctx))
            {
                if ((valid & SetattrValid.Mode) != 0)
                {
                    uint mode = changes.Mode & PermMask;
                    if (FchmodAt(AT_FDCWD, path, mode, 0) < 0)
                    {
                        err = LoopSys.LastErrno();
                        // The kernel clears setuid/setgid after a write by a non-owner with a chmod in the writer's
                        // name; the source would allow that for a writer, so do it for one who may write.
                        if (err != Errno.EPERM || !OnlyDropsSuid(n.Fd, mode) ||
                            Syscall4(SysFaccessat2, n.Fd, (long)empty, Linux.W_OK, AT_EMPTY_PATH | AT_EACCESS) != 0)
                            return err;
                        if ((err = DropSuidAsDaemon(path, mode)) != 0) return err;
                    }
                }
                if ((valid & (SetattrValid.Uid | SetattrValid.Gid)) != 0)
                {
                    uint uid = (valid & SetattrValid.Uid) != 0 ? changes.Uid : uint.MaxValue;
                    uint gid = (valid & SetattrValid.Gid) != 0 ? changes.Gid : uint.MaxValue;
                    if (FchownAt(n.Fd, empty, uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return LoopSys.LastErrno();
                }
                if ((valid & SetattrValid.Size) != 0)
                {
                    if ((long)changes.Size < 0) return Errno.EINVAL;
                    if ((valid & SetattrValid.Fh) != 0)
                    {
                        if (Ftruncate((int)changes.Fh, (long)changes.Size) < 0) return LoopSys.LastErrno();
                    }
                    else
                    {
                        int fd = OpenAt(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NONBLOCK, 0);
                        if (fd < 0) return LoopSys.LastErrno();
                        int r = Ftruncate(fd, (long)changes.Size);
                        err = r < 0 ? LoopSys.LastErrno() : 0;
                        Close(fd);
                        if (err != 0) return err;
                    }
                }
                if ((valid & (SetattrValid.Atime | SetattrValid.Mtime | SetattrValid.AtimeNow | SetattrValid.MtimeNow)) != 0)
                {
                    ts[0] = TimeArg(valid, SetattrValid.Atime, SetattrValid.AtimeNow, changes.Atime, changes.Atimensec);
                    ts[1] = TimeArg(valid, SetattrValid.Mtime, SetattrValid.MtimeNow, changes.Mtime, changes.Mtimensec);
                    // AT_EMPTY_PATH on the O_PATH descriptor: the inode itself, a symlink included (lutimes).
                    if (UtimensAt(n.Fd, empty, ts, AT_EMPTY_PATH) < 0)
                    {
                        err = LoopSys.LastErrno();
                        // With writeback caching the kernel sends a writer's mtime (with ctime) as explicit times,
                        // which only the owner may set: for a caller who may write the file, the daemon sets them.
                        timesAsDaemon = err == Errno.EPERM && Writeback && (valid & SetattrValid.Ctime) != 0 &&
                                        (valid & (SetattrValid.Atime | SetattrValid.AtimeNow)) == 0 &&
                                        Syscall4(SysFaccessat2, n.Fd, (long)empty, Linux.W_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
                        if (!timesAsDaemon) return err;
                    }
                }
            }
            if (timesAsDaemon && UtimensAt(n.Fd, empty, ts, AT_EMPTY_PATH) < 0) return LoopSys.LastErrno();
        }
        if ((err = StatFd(n.Fd, out var st)) != 0) return err;
        attr.AttrValid = _attrSec;
        attr.AttrValidNsec = _attrNsec;
        FillAttr(in st, ref attr.Attr);
        return Status.Ok;
    }

    private static TimeSpec64 TimeArg(SetattrValid valid, SetattrValid set, SetattrValid now, ulong sec, uint nsec)
    {
        if ((valid & now) != 0) return new TimeSpec64 { Sec = 0, Nsec = Linux.UTIME_NOW };
        if ((valid & set) != 0) return new TimeSpec64 { Sec = (long)sec, Nsec = nsec };
        return new TimeSpec64 { Sec = 0, Nsec = Linux.UTIME_OMIT };
    }

    /// <summary>True when <paramref name="mode"/> is the inode's mode less setuid and/or setgid, nothing else.</summary>
    private static bool OnlyDropsSuid(int fd, uint mode)
    {
        if (StatFd(fd, out var st) != 0) return false;
        uint old = st.Mode & PermMask;
        return (mode & ~old) == 0 && ((old & ~mode) & ~(Linux.S_ISUID | Linux.S_ISGID)) == 0;
    }

    /// <summary>chmod with the daemon's own credentials, for the kernel's kill-suid SETATTR only.</summary>
    private unsafe int DropSuidAsDaemon(byte* path, uint mode)
    {
        uint fsuid = (uint)Setfsuid(0);
        uint fsgid = (uint)Setfsgid(0);
        int r = FchmodAt(AT_FDCWD, path, mode, 0);
        int err = r < 0 ? LoopSys.LastErrno() : 0;
        Setfsgid(fsgid);
        Setfsuid(fsuid);
        return err;
    }

    public int Access(in RequestContext ctx, ulong nodeId, int mask)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        unsafe
        {
            // faccessat2 with AT_EACCESS checks with the thread's fs ids (the caller's, below); plain access(2)
            // would check the daemon's real uid. Safe: the literal is pinned for the call.
            fixed (byte* empty = "\0"u8)
            using (Become(in ctx))
            {
                long r = Syscall4(SysFaccessat2, n.Fd, (long)empty, mask, AT_EMPTY_PATH | AT_EACCESS | AT_SYMLINK_NOFOLLOW);
                return r < 0 ? LoopSys.LastErrno() : Status.Ok;
            }
        }
    }

    public unsafe int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        StatfsBuf s;
        // Safe: s is a local; fstatfs accepts O_PATH descriptors (Linux 3.12+).
        if (Fstatfs(n.Fd, &s) < 0) return LoopSys.LastErrno();
        ref var k = ref statfs.St;
        k.Blocks = s.Blocks;
        k.Bfree = s.Bfree;
        k.Bavail = s.Bavail;
        k.Files = s.Files;
        k.Ffree = s.Ffree;
        k.Bsize = (uint)s.Bsize;
        k.Namelen = (uint)s.Namelen;
        k.Frsize = (uint)s.Frsize;
        return Status.Ok;
    }

    public unsafe int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target)
    {
        int err = Pin(nodeId, out var n);
        if (err != 0) return err;
        using var _pin = n;
        Span<byte> buf = stackalloc byte[PathMax];
        nint len;
        // Safe: buf and the literal live on this frame; readlinkat writes at most buf.Length bytes.
        fixed (byte* p = buf)
        fixed (byte* empty = "\0"u8)
            len = ReadlinkAt(n.Fd, empty, p, (nuint)buf.Length);
        if (len < 0) return LoopSys.LastErrno();
        if (len > target.Remaining) return Errno.ENAMETOOLONG;
        target.Append(buf[..(int)len]);
        return Status.Ok;
    }

    // ---------------------------------------------------------------- teardown

    /// <summary>Closes every descriptor: nodes, open files, open directories. Call after the session ended.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _locks?.Dispose();
        foreach (var fd in _files.Keys)
            if (_files.TryRemove(fd, out _)) Close(fd);   // the backing ids went with the session's /dev/fuse fd
        foreach (var fd in _dirs.Keys)
            if (_dirs.TryRemove(fd, out var d)) d.Dispose();
        lock (_mapLock)
        {
            foreach (var n in _byInode.Values)
            {
                if (n.Fd < 0) continue;
                Close(n.Fd);
                if (!ReferenceEquals(n, _root)) Interlocked.Decrement(ref _pathFds);   // the root is not counted
            }
            _byInode.Clear();
            foreach (var fd in _mountFds.Values) Close(fd);
            _mountFds.Clear();
        }
        _bounce.Dispose();
    }
}
