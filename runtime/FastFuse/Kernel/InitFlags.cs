// FUSE_INIT capability flags as one 64-bit set: low 32 bits travel in `flags`, high 32 bits in `flags2`.
namespace FastFuse.Kernel;

/// <summary>FUSE_INIT flags: what the kernel offers in INIT and the filesystem asks for in its answer. The low 32 bits
/// travel in the flags word, the high 32 bits in flags2.</summary>
[Flags]
public enum InitFlags : ulong
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>FUSE_ASYNC_READ: the kernel may send several READs of a file at once (readahead among them).</summary>
    AsyncRead = 1UL << 0,
    /// <summary>FUSE_POSIX_LOCKS: POSIX record locks are the filesystem's (GETLK, SETLK, SETLKW), not only
    /// local.</summary>
    PosixLocks = 1UL << 1,
    /// <summary>FUSE_FILE_OPS: reserved (a file handle for fstat and the like; never implemented).</summary>
    FileOps = 1UL << 2,
    /// <summary>FUSE_ATOMIC_O_TRUNC: the filesystem handles O_TRUNC in OPEN (else the kernel truncates with a SETATTR
    /// of its own).</summary>
    AtomicOTrunc = 1UL << 3,
    /// <summary>FUSE_EXPORT_SUPPORT: the filesystem answers lookups of "." and ".." (NFS export, file
    /// handles).</summary>
    ExportSupport = 1UL << 4,
    /// <summary>FUSE_BIG_WRITES: the filesystem takes WRITEs larger than 4 KiB.</summary>
    BigWrites = 1UL << 5,
    /// <summary>FUSE_DONT_MASK: the kernel leaves the umask to the filesystem: it does not apply it to the mode of new
    /// nodes.</summary>
    DontMask = 1UL << 6,
    /// <summary>FUSE_SPLICE_WRITE: the kernel takes replies written to the device with splice.</summary>
    SpliceWrite = 1UL << 7,
    /// <summary>FUSE_SPLICE_MOVE: the kernel may move (not copy) pages spliced to the device.</summary>
    SpliceMove = 1UL << 8,
    /// <summary>FUSE_SPLICE_READ: the kernel supports splice reads from the device.</summary>
    SpliceRead = 1UL << 9,
    /// <summary>FUSE_FLOCK_LOCKS: flock(2) locks are the filesystem's, not only local.</summary>
    FlockLocks = 1UL << 10,
    /// <summary>FUSE_HAS_IOCTL_DIR: the kernel sends ioctls on directories.</summary>
    HasIoctlDir = 1UL << 11,
    /// <summary>FUSE_AUTO_INVAL_DATA: the kernel drops cached pages when it sees the mtime or size change.</summary>
    AutoInvalData = 1UL << 12,
    /// <summary>FUSE_DO_READDIRPLUS: READDIRPLUS (READDIR and LOOKUP in one).</summary>
    DoReaddirplus = 1UL << 13,
    /// <summary>FUSE_READDIRPLUS_AUTO: adaptive readdirplus: READDIRPLUS while the entries' attributes are being asked
    /// for, READDIR otherwise.</summary>
    ReaddirplusAuto = 1UL << 14,
    /// <summary>FUSE_ASYNC_DIO: direct I/O is submitted asynchronously (several requests in flight).</summary>
    AsyncDio = 1UL << 15,
    /// <summary>FUSE_WRITEBACK_CACHE: buffered writes go to the page cache and reach the filesystem later.</summary>
    WritebackCache = 1UL << 16,
    /// <summary>FUSE_NO_OPEN_SUPPORT: the kernel takes ENOSYS to OPEN as "opens always succeed" and sends no
    /// more.</summary>
    NoOpenSupport = 1UL << 17,
    /// <summary>FUSE_PARALLEL_DIROPS: lookups and readdirs in one directory may run in parallel.</summary>
    ParallelDirops = 1UL << 18,
    /// <summary>FUSE_HANDLE_KILLPRIV: the filesystem clears suid, sgid and capabilities on write, chown and
    /// truncate.</summary>
    HandleKillpriv = 1UL << 19,
    /// <summary>FUSE_POSIX_ACL: the filesystem keeps POSIX ACLs in xattrs and the kernel enforces them.</summary>
    PosixAcl = 1UL << 20,
    /// <summary>FUSE_ABORT_ERROR: reading the device after an abort answers ECONNABORTED, not ENODEV.</summary>
    AbortError = 1UL << 21,
    /// <summary>FUSE_MAX_PAGES: init_out.max_pages holds the most pages of one request.</summary>
    MaxPages = 1UL << 22,
    /// <summary>FUSE_CACHE_SYMLINKS: the kernel caches READLINK answers.</summary>
    CacheSymlinks = 1UL << 23,
    /// <summary>FUSE_NO_OPENDIR_SUPPORT: the kernel takes ENOSYS to OPENDIR as "opendirs always succeed".</summary>
    NoOpendirSupport = 1UL << 24,
    /// <summary>FUSE_EXPLICIT_INVAL_DATA: cached pages are dropped only when the filesystem says so (a
    /// notification).</summary>
    ExplicitInvalData = 1UL << 25,
    /// <summary>FUSE_MAP_ALIGNMENT: init_out.map_alignment holds log2 of the alignment of DAX mapping
    /// offsets.</summary>
    MapAlignment = 1UL << 26,
    /// <summary>FUSE_SUBMOUNTS: the kernel mounts submounts automatically (<see cref="AttrFlags.Submount"/>).</summary>
    Submounts = 1UL << 27,
    /// <summary>FUSE_HANDLE_KILLPRIV_V2: the filesystem clears suid, sgid and capabilities on write, chown and truncate
    /// as the VFS does: on write and truncate only for a caller without CAP_FSETID, and sgid only if the group may
    /// execute.</summary>
    HandleKillprivV2 = 1UL << 28,
    /// <summary>FUSE_SETXATTR_EXT: the filesystem takes the extended, 16-byte fuse_setxattr_in.</summary>
    SetxattrExt = 1UL << 29,
    /// <summary>FUSE_INIT_EXT: fuse_init_in is extended: flags2 holds flags 32 to 63.</summary>
    InitExt = 1UL << 30,
    /// <summary>FUSE_INIT_RESERVED: reserved, not to be used.</summary>
    InitReserved = 1UL << 31,
    /// <summary>FUSE_SECURITY_CTX: CREATE, MKDIR, SYMLINK and MKNOD carry the new node's security context.</summary>
    SecurityCtx = 1UL << 32,
    /// <summary>FUSE_HAS_INODE_DAX: DAX per inode (<see cref="AttrFlags.Dax"/>).</summary>
    HasInodeDax = 1UL << 33,
    /// <summary>FUSE_CREATE_SUPP_GROUP: CREATE, MKDIR, SYMLINK and MKNOD carry the caller's supplementary group that is
    /// the parent directory's group, if it has it.</summary>
    CreateSuppGroup = 1UL << 34,
    /// <summary>FUSE_HAS_EXPIRE_ONLY: the kernel supports expire-only entry invalidation
    /// (<see cref="NotifyInvalEntryFlags.ExpireOnly"/>).</summary>
    HasExpireOnly = 1UL << 35,
    /// <summary>FUSE_DIRECT_IO_ALLOW_MMAP: shared mmap is allowed on files opened with
    /// <see cref="FopenFlags.DirectIo"/>.</summary>
    DirectIoAllowMmap = 1UL << 36,
    /// <summary>FUSE_PASSTHROUGH: reads and writes of a file opened with <see cref="FopenFlags.Passthrough"/> go
    /// straight to its backing file.</summary>
    Passthrough = 1UL << 37,
    /// <summary>FUSE_NO_EXPORT_SUPPORT: export is explicitly unsupported: name_to_handle_at answers
    /// EOPNOTSUPP.</summary>
    NoExportSupport = 1UL << 38,
    /// <summary>FUSE_HAS_RESEND: the kernel resends requests on FUSE_NOTIFY_RESEND, marking them with the high bit of
    /// the request id (<see cref="FuseConstants.UniqueResend"/>).</summary>
    HasResend = 1UL << 39,
    /// <summary>FUSE_ALLOW_IDMAP: idmapped mounts of the filesystem are allowed.</summary>
    AllowIdmap = 1UL << 40,
    /// <summary>FUSE_OVER_IO_URING: the filesystem can take requests through fuse-uring rings.</summary>
    OverIoUring = 1UL << 41,
    /// <summary>FUSE_REQUEST_TIMEOUT: the kernel supports timing requests out (init_out.request_timeout).</summary>
    RequestTimeout = 1UL << 42,

    /// <summary>Obsolete header alias of <see cref="DirectIoAllowMmap"/>.</summary>
    DirectIoRelax = DirectIoAllowMmap,
}

/// <summary>Helpers to split/join the 64-bit set into the wire's flags/flags2 words.</summary>
public static class InitFlagsExtensions
{
    /// <summary>The low 32 bits: the flags word of fuse_init_in and fuse_init_out.</summary>
    public static uint Low(this InitFlags flags) => (uint)((ulong)flags & 0xFFFF_FFFFUL);

    /// <summary>The high 32 bits: the flags2 word.</summary>
    public static uint High(this InitFlags flags) => (uint)((ulong)flags >> 32);

    /// <summary>The set a flags word and a flags2 word make.</summary>
    public static InitFlags FromWords(uint flags, uint flags2) => (InitFlags)(((ulong)flags2 << 32) | flags);
}
