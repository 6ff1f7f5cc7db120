using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Session;

/// <summary>
/// System calls one transport loop made (reads, writes, io_uring_enter…): written by that loop's thread only,
/// read racily for reports. Divided by the requests served they give the syscalls per request.
/// </summary>
public sealed class SyscallCounters
{
    /// <summary>read(2) calls on /dev/fuse.</summary>
    public long Read;
    /// <summary>write(2) calls (a spliced reply's header into its pipe).</summary>
    public long Write;
    /// <summary>writev(2) calls (replies).</summary>
    public long Writev;
    /// <summary>splice(2) calls (file data into a pipe, and the pipe on to /dev/fuse).</summary>
    public long Splice;
    /// <summary>pread(2) calls (file data where splice is not used).</summary>
    public long Pread;
    /// <summary>poll(2) calls (a worker waiting for a request after spinning).</summary>
    public long Poll;
    /// <summary>io_uring_enter(2) calls.</summary>
    public long Enter;

    /// <summary>All of them.</summary>
    public long Total => Read + Write + Writev + Splice + Pread + Poll + Enter;

    internal void Add(SyscallCounters o)
    {
        Read += o.Read; Write += o.Write; Writev += o.Writev; Splice += o.Splice; Pread += o.Pread; Poll += o.Poll; Enter += o.Enter;
    }
}

/// <summary>
/// Counters for one transport loop (a /dev/fuse worker, a fuse-uring queue): written by that loop only, so no
/// atomics on the hot path; read (racily, which is fine for counters) when <see cref="Stats"/> sums them.
/// </summary>
internal sealed class WorkerStats(string label)
{
    public readonly string Label = label;
    public readonly SyscallCounters Syscalls = new();
    /// <summary>Bytes this loop's thread has allocated since it started (GC.GetAllocatedBytesForCurrentThread, taken
    /// after each request or batch): the steady state must not move it.</summary>
    public long AllocatedBytes;

    public const int Opcodes = 64;          // opcodes 0..63; CUSE_INIT and unknown ones land in slot 0
    public const int Buckets = 160;         // 4 sub-buckets per power of two of nanoseconds, up to 2^40 ns

    public readonly long[] Count = new long[Opcodes];
    public readonly long[] Errors = new long[Opcodes];
    public readonly long[] Latency = new long[Opcodes * Buckets];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Slot(Opcode op) => (uint)op < Opcodes ? (int)op : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(Opcode op, int status, long elapsedTicks)
    {
        int slot = Slot(op);
        Count[slot]++;
        if (status != 0 && status != Status.Deferred) Errors[slot]++;
        Latency[slot * Buckets + Bucket(TicksToNs(elapsedTicks))]++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TicksToNs(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bucket(long ns)
    {
        if (ns < 4) return (int)Math.Max(ns, 0);
        int log = 63 - BitOperations.LeadingZeroCount((ulong)ns);      // ≥ 2
        int sub = (int)((ns >> (log - 2)) & 3);
        return Math.Min(log * 4 + sub - 4, Buckets - 1);
    }

    /// <summary>Lower bound in ns of a bucket (inverse of <see cref="Bucket"/>).</summary>
    public static long BucketFloor(int bucket)
    {
        if (bucket < 4) return bucket;
        int log = (bucket + 4) / 4;
        int sub = (bucket + 4) % 4;
        return (1L << log) + ((long)sub << (log - 2));
    }
}

/// <summary>
/// What a session did: per-opcode counts, errors and latency percentiles, the reply classes of the unmount
/// epoch (dropped before write, ENOENT, ENODEV, other write errors), protocol errors, and the values INIT
/// negotiated. Everything is readable while the session runs.
/// </summary>
public sealed class Stats
{
    private readonly List<WorkerStats> _workers = new();
    private readonly Lock _gate = new();

    /// <summary>Replies dropped before the write because their request was read in an earlier epoch.</summary>
    public long DroppedStale;
    /// <summary>Replies the kernel refused with ENOENT: the request was interrupted or forgotten at unmount.</summary>
    public long ReplyNotFound;
    /// <summary>Replies the kernel refused with ENODEV/ECONNABORTED: the connection was gone.</summary>
    public long ReplyNoDevice;
    /// <summary>Replies that failed for any other reason: a bug on our side, each logged as an error.</summary>
    public long ReplyOtherErrors;
    /// <summary>Requests that broke the protocol (truncated, lying lengths, names without NUL…).</summary>
    public long ProtocolErrors;
    /// <summary>Handlers that threw: answered EIO.</summary>
    public long HandlerExceptions;
    /// <summary>Requests for opcodes nobody implements: answered ENOSYS.</summary>
    public long Unimplemented;
    /// <summary>Replies sent through a splice from a file (loopback).</summary>
    public long SplicedReplies;
    /// <summary>Replies whose splice failed and went out by read + writev instead.</summary>
    public long SpliceFallbacks;
    /// <summary>Forgets received (FORGET plus each entry of BATCH_FORGET).</summary>
    public long Forgets;
    /// <summary>Replies the uring transport wrote outside its ring (INIT, spliced file data).</summary>
    public long RingBypass;
    /// <summary>Requests each loop keeps in flight (uring reads armed per worker, fuse-uring entries per queue; 1 on
    /// /dev/fuse workers); 0 until the transport knows.</summary>
    public int Depth;
    /// <summary>Deferred replies written from other threads (one write or ring hand-over each).</summary>
    public long DeferredWrites;
    /// <summary>Notifications the kernel took.</summary>
    public long NotificationsSent;
    /// <summary>Notifications the kernel answered with an errno (ENOENT: not cached…), returned to the caller.</summary>
    public long NotificationsRefused;
    /// <summary>Notifications not written because the session had closed, or refused because the connection had
    /// ended (ENODEV): the late-reply case, counted and never logged as an error.</summary>
    public long NotificationsDropped;

    /// <summary>The transport serving the session ("devfuse", "fuse-uring"…), set when it starts.</summary>
    public string Transport { get; internal set; } = "";
    private long _pendingInFlight;

    /// <summary>INIT's outcome: the negotiated protocol, flags and limits (null before INIT).</summary>
    public FuseConnection? Connection { get; internal set; }

    /// <summary>Interrupts received from the kernel.</summary>
    public long InterruptsReceived => _interrupts?.Received ?? 0;
    private Interrupts? _interrupts;
    internal void Attach(Interrupts interrupts) => _interrupts = interrupts;

    /// <summary>Deferred replies not yet answered.</summary>
    public long PendingInFlight => Interlocked.Read(ref _pendingInFlight);
    internal void PendingStarted() => Interlocked.Increment(ref _pendingInFlight);
    internal void PendingFinished() => Interlocked.Decrement(ref _pendingInFlight);

    internal WorkerStats NewWorker(string label)
    {
        var w = new WorkerStats(label);
        lock (_gate) _workers.Add(w);
        return w;
    }

    /// <summary>Requests handled for <paramref name="op"/> so far.</summary>
    public long CountOf(Opcode op) => Sum(w => w.Count[WorkerStats.Slot(op)]);
    /// <summary>Requests for <paramref name="op"/> answered with an errno so far.</summary>
    public long ErrorsOf(Opcode op) => Sum(w => w.Errors[WorkerStats.Slot(op)]);
    /// <summary>Requests handled so far, every opcode.</summary>
    public long TotalRequests => Sum(w => w.Count.Sum());

    /// <summary>Requests served by each loop, by its label ("worker 0", "queue 1"…).</summary>
    public IReadOnlyList<(string Loop, long Requests)> RequestsPerLoop
    {
        get
        {
            lock (_gate) return _workers.Select(w => (w.Label, w.Count.Sum())).ToList();
        }
    }

    /// <summary>Bytes allocated on the transport's loop threads, summed (0 growth in steady state is the target).</summary>
    public long LoopAllocatedBytes
    {
        get { lock (_gate) return _workers.Sum(w => Volatile.Read(ref w.AllocatedBytes)); }
    }

    /// <summary>System calls made by every loop of the session, summed.</summary>
    public SyscallCounters Syscalls
    {
        get
        {
            var total = new SyscallCounters();
            lock (_gate) foreach (var w in _workers) total.Add(w.Syscalls);
            return total;
        }
    }

    /// <summary>Latency percentile (0..100) in nanoseconds for an opcode, from the histogram (±12%).</summary>
    public long LatencyPercentileNs(Opcode op, double percentile)
    {
        int slot = WorkerStats.Slot(op);
        var merged = new long[WorkerStats.Buckets];
        long total = 0;
        lock (_gate)
        {
            foreach (var w in _workers)
                for (int b = 0; b < WorkerStats.Buckets; b++)
                {
                    long c = w.Latency[slot * WorkerStats.Buckets + b];
                    merged[b] += c;
                    total += c;
                }
        }
        if (total == 0) return 0;
        long rank = (long)Math.Ceiling(total * percentile / 100.0);
        long seen = 0;
        for (int b = 0; b < WorkerStats.Buckets; b++)
        {
            seen += merged[b];
            if (seen >= rank && merged[b] > 0) return WorkerStats.BucketFloor(b);
        }
        return WorkerStats.BucketFloor(WorkerStats.Buckets - 1);
    }

    private long Sum(Func<WorkerStats, long> f)
    {
        long s = 0;
        lock (_gate) foreach (var w in _workers) s += f(w);
        return s;
    }

    /// <summary>A human-readable table: one line per opcode seen, then the reply classes.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        if (Connection is { } c) sb.Append("init: ").Append(c.ToString()).Append('\n');
        if (Transport.Length > 0) sb.Append("transport: ").Append(Transport).Append('\n');
        if (Depth > 0) sb.Append("depth: ").Append(Depth).Append(" requests in flight per loop\n");
        sb.Append($"{"opcode",-16} {"count",10} {"errors",8} {"p50",10} {"p90",10} {"p99",10} {"max<",10}\n");
        for (int op = 0; op < WorkerStats.Opcodes; op++)
        {
            var code = (Opcode)op;
            long n = CountOf(code);
            if (n == 0) continue;
            string name = op == 0 ? "OTHER" : OpcodeInfo.Name(code);
            sb.Append($"{name,-16} {n,10} {ErrorsOf(code),8} {Ns(LatencyPercentileNs(code, 50)),10} {Ns(LatencyPercentileNs(code, 90)),10} " +
                      $"{Ns(LatencyPercentileNs(code, 99)),10} {Ns(LatencyPercentileNs(code, 100)),10}\n");
        }
        sb.Append($"replies: dropped-stale={DroppedStale} enoent={ReplyNotFound} enodev={ReplyNoDevice} other-errors={ReplyOtherErrors}\n");
        sb.Append($"requests: total={TotalRequests} protocol-errors={ProtocolErrors} handler-exceptions={HandlerExceptions} " +
                  $"enosys={Unimplemented} interrupts={InterruptsReceived} forgets={Forgets} pending={PendingInFlight}\n");
        if (SplicedReplies + SpliceFallbacks > 0)
            sb.Append($"splice: spliced={SplicedReplies} fallbacks={SpliceFallbacks}\n");
        if (NotificationsSent + NotificationsRefused + NotificationsDropped > 0)
            sb.Append($"notifications: sent={NotificationsSent} refused={NotificationsRefused} dropped={NotificationsDropped}\n");
        if (RingBypass > 0) sb.Append($"ring: replies written outside the ring={RingBypass}\n");
        sb.Append("loops:");
        foreach (var (loop, n) in RequestsPerLoop) sb.Append($" {loop.Replace(' ', '-')}={n}");
        sb.Append('\n');
        var sc = Syscalls;
        long total = TotalRequests;
        sb.Append($"syscalls: read={sc.Read} write={sc.Write} writev={sc.Writev} splice={sc.Splice} pread={sc.Pread} poll={sc.Poll} " +
                  $"io_uring_enter={sc.Enter} deferred={DeferredWrites} per-request={(total == 0 ? 0 : (double)sc.Total / total):F2}\n");
        return sb.ToString();
    }

    private static string Ns(long ns) => ns switch
    {
        < 10_000 => $"{ns}ns",
        < 10_000_000 => $"{ns / 1000}us",
        _ => $"{ns / 1_000_000}ms",
    };
}
