using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Mounting;
using FastFuse.Transport;
using FastFuse.Transport.DevFuse;
using FastFuse.Transport.FuseUring;
using FastFuse.Transport.UringBatch;

namespace FastFuse.Session;

/// <summary>
/// One FUSE connection: its mount, its transport, INIT, the unmount epoch and the stats. It is also the handle a
/// filesystem gets at INIT (<see cref="FuseConnection.Session"/>): connection facts, stats and backing files
/// live here, and the notifications will.
/// <code>
/// using var s = FuseSession.Mount(new MyFs(), "/mnt/x", MountOptions.Parse("fsname=myfs"));
/// s.Run();                     // until unmounted (or s.Start() and later s.Unmount())
/// </code>
/// </summary>
public sealed unsafe class FuseSession : IDisposable
{
    private readonly SessionOptions _options;
    private readonly MountHandle? _mount;
    private readonly FuseChannel _mainChannel;
    private readonly BufferPool _pool;
    private readonly FuseTransport _transport;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _exited = new(false);
    private readonly ManualResetEventSlim _initialized = new(false);
    private int _running;
    private long _epoch = 1;
    private int _closed;
    private int _destroyed;
    private volatile bool _stop;
    private int _started;
    private bool _loopsLeft;
    private int _endErrno;
    private int _atime = AtimePolicy.Default.Pack();
    private MountOptionsWatch? _mountOptionsWatch;

    internal readonly ReplyGate Gate;
    internal readonly Interrupts Interrupts = new();
    internal readonly NativeBuffer Zeros = new(128 * 1024, zero: true);

    /// <summary>The filesystem this session serves.</summary>
    public IRawFileSystem FileSystem { get; }
    /// <summary>FUSE passthrough backing files registered through this session.</summary>
    public BackingFiles Backing { get; }
    /// <summary>The session's own /dev/fuse fd (ioctls, notifications).</summary>
    internal int ControlFd => _mainChannel.Fd;
    /// <summary>What the session has done: requests, errors and latencies per opcode, reply classes,
    /// syscalls.</summary>
    public Stats Stats { get; } = new();
    /// <summary>Notifications to the kernel (cache invalidation, store, retrieve, poll wakeup), on every transport.</summary>
    public Notify.Notifier Notify { get; }
    /// <summary>What INIT agreed: the protocol, the flags and the limits (before INIT, what will be asked
    /// for).</summary>
    public FuseConnection Connection { get; } = new();
    /// <summary>The mount this session serves; null for a session without one.</summary>
    public MountHandle? MountHandle => _mount;
    /// <summary>The mount's atime rules now (relatime, strictatime, noatime, nodiratime, ro), remounts included: a
    /// filesystem that keeps access times asks it on each read (the kernel leaves atime on FUSE inodes to the
    /// filesystem). Relatime for a session without a mount.</summary>
    // Volatile: the watcher thread replaces it; one int, so a reader sees either the old policy or the new.
    public AtimePolicy Atime => AtimePolicy.Unpack(Volatile.Read(ref _atime));
    /// <summary>Request/reply buffers rented from this session's pool and not yet returned (0 after Dispose).</summary>
    public int BuffersOutstanding => _pool.Outstanding;

    /// <summary>The current epoch: requests read in an earlier one are answered by nobody.</summary>
    public long Epoch => Volatile.Read(ref _epoch);
    /// <summary>True once INIT has been answered.</summary>
    public bool Initialized => _initialized.IsSet;
    /// <summary>True once the session has ended: its loops are gone (or unmount gave up waiting for them).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;
    /// <summary>True when the kernel aborted the connection (fusectl abort) rather than an unmount ending it.</summary>
    public bool Aborted => _endErrno == Errno.ECONNABORTED;
    internal bool StopRequested => _stop;
    internal int MaxNameLength => _options.MaxNameLength;
    /// <summary>allow_root: the kernel lets everyone in (allow_other) and the session answers EACCES to anyone but
    /// <see cref="OwnerUid"/> and root, as libfuse does (Dispatcher.DeniedAsOther).</summary>
    internal bool DenyOthers { get; private set; }
    internal uint OwnerUid { get; private set; }
    internal int MaxReplyData { get; private set; }
    /// <summary>READ replies from a file descriptor go out by splice (else pread + writev).</summary>
    internal bool SpliceReads => _options.SpliceReads;
    /// <summary>FUSE_SETXATTR_EXT was negotiated: fuse_setxattr_in is 16 bytes, not 8.</summary>
    internal bool SetxattrExt { get; private set; }
    /// <summary>The transport serving this session.</summary>
    internal FuseTransport Transport => _transport;
    /// <summary>The transport actually serving ("devfuse", "fuse-uring"), after any fallback.</summary>
    public string TransportName => Stats.Transport;
    internal SessionOptions Options => _options;
    internal BufferPool Pool => _pool;

    private FuseSession(IRawFileSystem fs, FuseChannel channel, MountHandle? mount, SessionOptions? options, bool avoidRings = false)
    {
        FileSystem = fs;
        _options = options ?? new SessionOptions();
        if (_options.Threads < 1 || _options.Threads > 256) throw new ArgumentOutOfRangeException(nameof(options), "threads must be 1..256");
        if (_options.MaxWrite < 4096 || _options.MaxWrite > 16u << 20) throw new ArgumentOutOfRangeException(nameof(options), "max_write must be 4 KiB..16 MiB");
        _mount = mount;
        _mainChannel = channel;
        Gate = new ReplyGate(this);
        Backing = new BackingFiles(this);
        Notify = new Notify.Notifier(this);
        Connection.Session = this;
        Stats.Attach(Interrupts);
        // Room for in_header + write_in + max_write, rounded to whole pages, and never under the kernel's 8 KiB minimum.
        int size = (int)Math.Max(FuseConstants.MinReadBuffer, (_options.MaxWrite + 4096 + 4095) & ~4095u);
        _pool = new BufferPool(size);
        MaxReplyData = size - FuseOutHeader.Size;
        if (_options.UringDepth is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(options), "uring_depth must be 1..4096");
        _transport = CreateTransport(channel, mount is not null, avoidRings);
        Stats.Transport = _transport.Name;
    }

    private FuseTransport CreateTransport(FuseChannel channel, bool mounted, bool avoidRings)
    {
        var kind = _options.Transport;
        if (kind == TransportKind.Auto && avoidRings) kind = TransportKind.DevFuse;
        if (kind is TransportKind.FuseUring or TransportKind.Auto)
        {
            string? why = mounted ? FuseUringTransport.Unavailable() : "the session has no kernel connection";
            if (why is null)
                return new FuseUringTransport(this, channel, _pool, _options.Threads, _options.UringDepth ?? SessionOptions.DefaultFuseUringDepth);
            if (kind == TransportKind.FuseUring) Log.Warn($"fuse-uring cannot be used: {why}; serving through /dev/fuse");
            else if (mounted) Log.Info($"transport auto: fuse-uring is not available ({why}); serving through /dev/fuse");
        }
        if (kind == TransportKind.Uring)
        {
            string? why = UringBatchTransport.Unavailable();
            if (why is null) return new UringBatchTransport(this, channel, _pool, _options.Threads, _options.UringDepth ?? SessionOptions.DefaultUringDepth);
            Log.Warn($"uring cannot be used: {why}; serving through /dev/fuse with read and writev");
        }
        return new DevFuseTransport(this, channel, _pool, _options.Threads, _options.Spin);
    }

    /// <summary>Mount <paramref name="fs"/> at <paramref name="mountpoint"/> (DirectMount as root, else fusermount3).
    /// The session is not serving yet: call <see cref="Start"/> or <see cref="Run"/>.</summary>
    public static FuseSession Mount(IRawFileSystem fs, string mountpoint, MountOptions options, SessionOptions? sessionOptions = null)
    {
        var handle = Mounter.Mount(mountpoint, options);
        var channel = new DevFuseChannel(handle.Fd, owned: true);
        // fusermount3's auto_unmount detaches a dead daemon's mount only when opening it gives ENOTCONN; a daemon
        // killed with fuse-uring rings registered gives the first opener ECONNABORTED (its request was queued in the
        // rings), so fusermount3 would leave the mount: auto picks /dev/fuse for such mounts.
        bool autoUnmountByFusermount = options.AutoUnmount && handle.Method == MountMethod.Fusermount;
        var session = new FuseSession(fs, channel, handle, sessionOptions, autoUnmountByFusermount);
        session._atime = AtimePolicy.FromMountFlags(options.MountFlags | (options.ReadOnly ? Interop.Libc.MS_RDONLY : 0)).Pack();
        if (options.AllowRoot)
        {
            session.DenyOthers = true;
            session.OwnerUid = Interop.ProcessIdentity.Uid;
        }
        return session;
    }

    /// <summary>A session over any channel, with no mount (tests, benchmarks, fuzzing).</summary>
    internal static FuseSession FromChannel(IRawFileSystem fs, FuseChannel channel, SessionOptions? sessionOptions = null) =>
        new(fs, channel, null, sessionOptions);

    /// <summary>Start the transport's first loop on the session's fd (it reads INIT); the rest start once INIT is
    /// answered.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("session already started");
        if (_mount is not null) _mountOptionsWatch = MountOptionsWatch.Start(_mount, p => Volatile.Write(ref _atime, p.Pack()));
        _transport.Start();
    }

    /// <summary>Serve until the filesystem is unmounted or the connection ends.</summary>
    public void Run()
    {
        Start();
        _exited.Wait();
    }

    /// <summary>While <see cref="RunHere"/> starts the session: the caller's thread, lent to the first loop.</summary>
    internal Transport.CallerHost? Host;

    /// <summary>
    /// As <see cref="Run"/>, with the first loop (the one that reads INIT; on fuse-uring the /dev/fuse control loop)
    /// on the calling thread instead of a thread of its own: a host language that wants its callbacks on a thread it
    /// owns gets them there (the other loops still have their own threads). Returns when the session has ended.
    /// </summary>
    public void RunHere()
    {
        var host = new Transport.CallerHost();
        Host = host;
        try { Start(); }
        finally { Host = null; }
        host.RunLoop();
        _exited.Wait();
    }

    /// <summary>Wait until INIT has been answered; false if <paramref name="timeout"/> passes first.</summary>
    public bool WaitForInit(TimeSpan timeout) => _initialized.Wait(timeout);
    /// <summary>Wait until the session has ended; false if <paramref name="timeout"/> passes first.</summary>
    public bool Wait(TimeSpan timeout) => _exited.Wait(timeout);
    /// <summary>Wait until the session has ended (unmounted, or the connection gone).</summary>
    public void Wait() => _exited.Wait();

    /// <summary>A /dev/fuse worker for in-process use (no thread): feed it requests with
    /// <see cref="DevFuseWorker.Process(ReadOnlySpan{byte})"/>.</summary>
    internal DevFuseWorker CreateInlineWorker() =>
        (_transport as DevFuseTransport ?? throw new InvalidOperationException("inline workers need the devfuse transport")).CreateInline();

    /// <summary>Dispatch one request held in <paramref name="request"/> on an inline worker (tests, fuzzing).</summary>
    internal void Process(DevFuseWorker w, ReadOnlySpan<byte> request) => w.Process(request);

    // ---- INIT -------------------------------------------------------------------------------------------

    internal int HandleInit(RequestSlot s, ReadOnlySpan<byte> body)
    {
        if (Initialized)
        {
            Interlocked.Increment(ref Stats.ProtocolErrors);
            return Errno.EPROTO;
        }
        uint major = MemoryMarshal.Read<uint>(body);
        uint minor = MemoryMarshal.Read<uint>(body[4..]);
        var c = Connection;
        c.KernelMajor = major;
        c.KernelMinor = minor;
        if (major > FuseConstants.KernelVersion)
        {
            // Tell the kernel our major; it sends INIT again with it.
            ref var v = ref s.Reply<FuseInitOut>();
            v.Major = FuseConstants.KernelVersion;
            v.Minor = FuseConstants.KernelMinorVersion;
            s.UseFixed(8);
            return Status.Ok;
        }
        if (major < FuseConstants.KernelVersion || minor < 31)
        {
            Log.Error($"kernel speaks FUSE {major}.{minor}; FastFuse needs 7.31 or newer");
            return Errno.EPROTO;
        }
        c.MaxReadahead = body.Length >= 12 ? MemoryMarshal.Read<uint>(body[8..]) : 0;
        ulong flags = body.Length >= 16 ? MemoryMarshal.Read<uint>(body[12..]) : 0;
        if ((flags & (ulong)InitFlags.InitExt) != 0 && body.Length >= 20) flags |= (ulong)MemoryMarshal.Read<uint>(body[16..]) << 32;
        c.Offered = (InitFlags)flags;
        c.Minor = Math.Min(minor, FuseConstants.KernelMinorVersion);
        c.Want = _options.Want | _transport.Wants;
        c.MaxWrite = Math.Min(_options.MaxWrite, (uint)(_pool.BufferSize - 4096));
        FileSystem.Init(c);
        if (c.Want.HasFlag(InitFlags.Passthrough)) c.Want &= ~InitFlags.WritebackCache;
        // File handles (name_to_handle_at / open_by_handle_at, NFS export) need a filesystem that answers LOOKUP of "."
        // for a node the kernel forgot and whose node ids outlive the mount. Only a filesystem that asks for
        // ExportSupport in its Init gets it; the rest say NO_EXPORT_SUPPORT, so name_to_handle_at answers EOPNOTSUPP
        // instead of handing out handles that open_by_handle_at would later refuse with ESTALE.
        if (c.Want.HasFlag(InitFlags.ExportSupport)) c.Want &= ~InitFlags.NoExportSupport;
        else c.Want |= InitFlags.NoExportSupport;

        c.Negotiated = c.Offered & c.Want;
        // Without max_pages the kernel caps a request at 32 pages.
        uint maxWrite = Math.Min(c.MaxWrite, (uint)(_pool.BufferSize - 4096));
        if (!c.Has(InitFlags.MaxPages)) maxWrite = Math.Min(maxWrite, 32 * 4096);
        c.MaxWrite = maxWrite;
        c.MaxPages = (ushort)Math.Min(Math.Max((maxWrite + 4095) / 4096, 1u), 65535u);
        c.MaxReadahead = Math.Min(c.MaxReadahead, maxWrite);

        SetxattrExt = c.Has(InitFlags.SetxattrExt);
        ref var o = ref s.Reply<FuseInitOut>();
        o.Major = FuseConstants.KernelVersion;
        o.Minor = c.Minor;
        o.MaxReadahead = c.MaxReadahead;
        o.Flags = (uint)(ulong)c.Negotiated;
        o.Flags2 = (uint)((ulong)c.Negotiated >> 32);
        o.MaxBackground = c.MaxBackground;
        o.CongestionThreshold = c.CongestionThreshold;
        o.MaxWrite = c.MaxWrite;
        o.TimeGran = c.TimeGran;
        o.MaxPages = c.MaxPages;
        o.MaxStackDepth = c.Has(InitFlags.Passthrough) ? c.MaxStackDepth : 0;
        Stats.Connection = c;
        _initialized.Set();
        _initReplyPending = true;
        if (Log.DebugEnabled) Log.Debug("init: " + c.ToString());
        return Status.Ok;
    }

    private volatile bool _initReplyPending;

    /// <summary>Called by the dispatcher after the INIT reply is written: now the transport may start the rest.</summary>
    internal void OnInitReplied()
    {
        if (!_initReplyPending) return;
        _initReplyPending = false;
        _transport.OnInitReplied();
    }

    internal void OnDestroy() => CallDestroy();

    private void CallDestroy()
    {
        if (Interlocked.Exchange(ref _destroyed, 1) != 0) return;
        try { FileSystem.Destroy(); }
        catch (Exception e) { Log.Error($"filesystem Destroy threw {e.GetType().Name}: {e.Message}"); }
    }

    // ---- ending -----------------------------------------------------------------------------------------

    /// <summary>Advance the epoch: replies to requests read before now are dropped instead of written.</summary>
    internal void AdvanceEpoch() => Interlocked.Increment(ref _epoch);

    internal void OnConnectionGone(int errno)
    {
        if (Interlocked.CompareExchange(ref _endErrno, errno, 0) == 0)
        {
            AdvanceEpoch();
            // Debug only: the application decides what to tell its user (Aborted; the CLI prints one line), and an
            // abort that Unmount itself made after the unmount timeout is part of an orderly end.
            if (errno == Errno.ECONNABORTED && Log.DebugEnabled) Log.Debug($"connection to {_mount?.Mountpoint ?? "the kernel"} was aborted");
        }
        _stop = true;
        _transport.OnStopping();
    }

    /// <summary>A transport loop thread is about to start (counted before it runs).</summary>
    internal void OnLoopStarted() => Interlocked.Increment(ref _running);

    /// <summary>A transport loop thread ends; the last one closes the session.</summary>
    internal void OnLoopExit()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            Volatile.Write(ref _closed, 1);
            Notify.FailPending();
            CallDestroy();
            _exited.Set();
        }
    }

    /// <summary>
    /// Unmount and stop: umount (lazy on request), wait up to the unmount timeout for the workers to see the
    /// connection end, abort the connection if they do not, then join every worker, close every cloned fd and
    /// return every buffer. Returns 0 or an errno (EBUSY: files are open and <paramref name="lazy"/> was false).
    /// </summary>
    public int Unmount(bool lazy = false)
    {
        if (Volatile.Read(ref _released) != 0) return 0;   // disposed: all done already
        if (_mount is not null && !_mount.Unmounted)
        {
            int r = Mounter.Unmount(_mount, lazy);
            if (r != 0) return r;
        }
        Shutdown();
        return 0;
    }

    /// <summary>How long loops get to end once the connection is over: at least 5 s, whatever the unmount timeout.</summary>
    private TimeSpan JoinTimeout => _options.UnmountTimeout > TimeSpan.FromSeconds(5) ? _options.UnmountTimeout : TimeSpan.FromSeconds(5);

    private void Shutdown()
    {
        if (!_exited.IsSet && Volatile.Read(ref _running) > 0)
        {
            if (!_exited.Wait(_options.UnmountTimeout))
            {
                // Handlers still busy or the mount was detached lazily with files open: end the connection.
                // Abort first, then advance the epoch: if the abort fails, the requests in flight keep their
                // replies (dropping them would leave their callers waiting for ever).
                if (Volatile.Read(ref _endErrno) != 0)
                {
                    // The connection has already ended (the last file closed, or an abort): the loops are on their
                    // way out, only slower than the unmount timeout; the join below waits for them.
                }
                else if (_mount is not null && Mounter.Abort(_mount.ConnectionId))
                {
                    AdvanceEpoch();
                    _stop = true;
                    _transport.OnStopping();
                    _exited.Wait(_options.UnmountTimeout);
                }
                else if (Volatile.Read(ref _endErrno) == 0)
                {
                    Log.Warn("workers did not stop within the unmount timeout and the connection could not be aborted; " +
                             "they go on serving until the last file on the mount is closed");
                    _loopsLeft = true;
                    Volatile.Write(ref _closed, 1);
                    return;
                }
            }
        }
        Volatile.Write(ref _closed, 1);
        AdvanceEpoch();
        _stop = true;
        _transport.OnStopping();
        lock (_gate)
        {
            // A loop still blocked keeps its memory and fd rather than have them freed under it.
            // The connection is over: every loop ends as soon as the kernel has let go of it (for a ring, once each
            // registered entry has come back with ENOTCONN, which a loaded machine may take a while to deliver).
            if (!_transport.Join(JoinTimeout))
            {
                _loopsLeft = true;
                Log.Warn($"{_transport.Name} loops still running {JoinTimeout.TotalSeconds:F0} s after the connection ended; their fds and buffers are kept");
            }
            _transport.Dispose();
        }
    }

    private int _disposed, _released;

    /// <summary>Unmount (lazily) if still mounted, stop, and free everything; once (a second call does nothing: closing
    /// the fds again would close whatever reused their numbers).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_mount is not null && !_mount.Unmounted) Unmount(lazy: true);
        else Shutdown();
        if (_running == 0) CallDestroy();
        Interlocked.Exchange(ref _mountOptionsWatch, null)?.Dispose();
        Notify.Close();
        if (!_loopsLeft) _mainChannel.Dispose();   // a loop still reads it: closing could hand its number to another file
        if (_pool.Outstanding == 0) _pool.Dispose();
        Zeros.Dispose();
        _exited.Dispose();
        _initialized.Dispose();
        Volatile.Write(ref _released, 1);
    }
}
