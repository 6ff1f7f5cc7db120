using FastFuse.Kernel;

namespace FastFuse.Api;

/// <summary>
/// What the kernel offered at INIT and what this session asks for. A filesystem's <see cref="IRawFileSystem.Init"/>
/// may change <see cref="Want"/> and the limits before the reply goes out; after INIT the negotiated values are
/// here (and in <see cref="Session.Stats"/>).
/// </summary>
public sealed class FuseConnection
{
    /// <summary>The session this connection belongs to: the filesystem's handle on it (stats, backing files, and
    /// the place notifications live). Set before <see cref="IRawFileSystem.Init"/> is called.</summary>
    public Session.FuseSession Session { get; internal set; } = null!;

    /// <summary>Protocol version the kernel speaks.</summary>
    public uint KernelMajor { get; internal set; }
    /// <summary>The minor protocol version the kernel speaks.</summary>
    public uint KernelMinor { get; internal set; }
    /// <summary>Protocol version agreed: min(ours, kernel's).</summary>
    public uint Minor { get; internal set; }
    /// <summary>Flags (flags | flags2 &lt;&lt; 32) the kernel offered.</summary>
    public InitFlags Offered { get; internal set; }
    /// <summary>Flags we ask for; only those also offered are sent.</summary>
    public InitFlags Want { get; set; }
    /// <summary>Flags agreed (Offered ∩ Want), set after INIT.</summary>
    public InitFlags Negotiated { get; internal set; }
    /// <summary>The most bytes the kernel reads ahead: what it offered, lowered to what
    /// <see cref="IRawFileSystem.Init"/> sets and to <see cref="MaxWrite"/>.</summary>
    public uint MaxReadahead { get; set; }
    /// <summary>Largest WRITE payload; also sizes the request buffers. Default 1 MiB.</summary>
    public uint MaxWrite { get; set; } = 1 << 20;
    /// <summary>The most pages in one request; computed from <see cref="MaxWrite"/> when INIT is answered.</summary>
    public ushort MaxPages { get; set; } = 256;
    /// <summary>The most background requests (readahead, writeback, async direct I/O) the kernel keeps in flight.
    /// Default 64.</summary>
    public ushort MaxBackground { get; set; } = 64;
    /// <summary>How many background requests in flight make the kernel treat the connection as congested. Default
    /// 48.</summary>
    public ushort CongestionThreshold { get; set; } = 48;
    /// <summary>Timestamp granularity in ns (1 = nanoseconds).</summary>
    public uint TimeGran { get; set; } = 1;
    /// <summary>Stacking depth for FUSE passthrough (1 or 2); 0 when passthrough is not used.</summary>
    public uint MaxStackDepth { get; set; }

    /// <summary>True when INIT agreed on every flag of <paramref name="flag"/> (<see cref="Negotiated"/>).</summary>
    public bool Has(InitFlags flag) => (Negotiated & flag) == flag;

    /// <summary>One line: the protocol versions, the limits and the agreed flags, as the debug log shows
    /// them.</summary>
    public override string ToString() =>
        $"proto 7.{Minor} (kernel 7.{KernelMinor}) max_write={MaxWrite} max_pages={MaxPages} max_readahead={MaxReadahead} " +
        $"max_background={MaxBackground} time_gran={TimeGran} flags={Negotiated}";
}
