using FastFuse.Kernel;

namespace FastFuse.Session;

/// <summary>How requests reach the session (-o transport=).</summary>
public enum TransportKind
{
    /// <summary>The fastest this kernel supports, in the order measured on Linux 6.18 (2 cores): fuse-uring, then
    /// devfuse (uring measured slower than devfuse there, so auto never picks it).</summary>
    Auto,
    /// <summary>read(2) + writev(2) on /dev/fuse, one cloned fd per worker; splice for file data. Every kernel.</summary>
    DevFuse,
    /// <summary>The kernel's FUSE over io_uring: per-CPU rings (Linux 6.14+, enable_uring=Y); falls back to DevFuse.</summary>
    FuseUring,
    /// <summary>io_uring on /dev/fuse itself: several reads in flight per worker, replies batched with them (any
    /// kernel with io_uring); falls back to DevFuse.</summary>
    Uring,
}

/// <summary>How a session runs: transport, workers, buffer sizes, what INIT asks for, how long unmount waits.</summary>
public sealed class SessionOptions
{
    /// <summary>How requests arrive (default: <see cref="TransportKind.Auto"/>).</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;
    /// <summary>Requests in flight per ring: fuse-uring entries per CPU queue (default 8), or reads armed per uring
    /// worker (default 1). Null: the transport's default.</summary>
    public int? UringDepth { get; set; }

    /// <summary>fuse-uring: 2 to 32 entries measured the same with synchronous clients; 8 leaves room for the
    /// kernel's background requests (readahead, writeback).</summary>
    public const int DefaultFuseUringDepth = 8;
    /// <summary>uring: every read armed on one /dev/fuse fd is woken by each request and all but one go back to
    /// polling; one read per worker measured fastest (4 KiB reads, 2 clients: 40k IOPS with 8 armed, 47–86k with 1).</summary>
    public const int DefaultUringDepth = 1;

    /// <summary>Worker threads, each with its own cloned /dev/fuse fd. Default: the number of CPUs.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;
    /// <summary>Largest WRITE payload asked for at INIT (1 MiB = 256 pages); buffers are this plus one page.</summary>
    public uint MaxWrite { get; set; } = 1 << 20;
    /// <summary>Longest name accepted from the kernel (NAME_MAX); longer ones get ENAMETOOLONG.</summary>
    public int MaxNameLength { get; set; } = 255;
    /// <summary>How long unmount waits for handlers in flight before it ends the connection.</summary>
    public TimeSpan UnmountTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// How long worker 0 busy-polls for the next request before it sleeps (default 50 µs; zero: never). A caller
    /// that issues requests back to back then finds a worker awake: no wake-up latency. The cost is at most this
    /// much CPU after each burst of requests.
    /// </summary>
    public TimeSpan Spin { get; set; } = TimeSpan.FromMicroseconds(50);
    /// <summary>Send READ data that comes from a file descriptor by splice (file → pipe → /dev/fuse). Default on.</summary>
    public bool SpliceReads { get; set; } = true;
    /// <summary>INIT flags the session asks for on top of what the filesystem asks for in its Init.</summary>
    public InitFlags Want { get; set; } = DefaultWant;

    /// <summary>
    /// What every session asks for: async reads, big writes up to max_pages, parallel directory operations,
    /// readdirplus (adaptive), async direct I/O, abort errors and the extended flags word. Not export support: a
    /// filesystem that can serve file handles asks for <see cref="InitFlags.ExportSupport"/> in its Init.
    /// </summary>
    public const InitFlags DefaultWant =
        InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.MaxPages | InitFlags.ParallelDirops |
        InitFlags.DoReaddirplus | InitFlags.ReaddirplusAuto | InitFlags.AsyncDio |
        InitFlags.AbortError | InitFlags.InitExt | InitFlags.AtomicOTrunc;
}
