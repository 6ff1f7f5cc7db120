using System.Globalization;
using System.Text;

namespace FastFuse.Mounting;

/// <summary>Bad command-line or mount option: one clear line for the user.</summary>
public sealed class MountException : Exception
{
    /// <summary>An error whose message is the one line the user is shown.</summary>
    public MountException(string message) : base(message) { }
}

/// <summary>
/// Options in the usual FUSE form (<c>-o allow_other,default_permissions,ro,fsname=X,subtype=Y,max_read=N</c>),
/// split into what goes to the kernel's mount data, the VFS mount flags, and what the runtime or the filesystem
/// reads itself (cache timeouts, direct_io…). Every option accepted is acted on; any other is an error, never
/// silently dropped.
/// </summary>
public sealed class MountOptions
{
    /// <summary>allow_other: every user may use the mount, not only the one who mounted it.</summary>
    public bool AllowOther { get; set; }
    /// <summary>allow_root: the mount's owner and root may use it (the kernel lets everyone in, as with allow_other;
    /// the session answers EACCES to the others).</summary>
    public bool AllowRoot { get; set; }
    /// <summary>default_permissions: the kernel checks permissions itself, from the mode, owner and group (ACCESS is
    /// then never sent).</summary>
    public bool DefaultPermissions { get; set; }
    /// <summary>ro: the mount is read-only.</summary>
    public bool ReadOnly { get; set; }
    /// <summary>fsname=: the source /proc/mounts shows for the mount (default "fastfuse").</summary>
    public string FsName { get; set; } = "fastfuse";
    /// <summary>The type shown as fuse.SUBTYPE; null: the CLI picks the filesystem's name; empty: plain "fuse".</summary>
    public string? Subtype { get; set; }
    /// <summary>max_read=: the largest READ the kernel sends, in bytes; null: no limit but the session's.</summary>
    public uint? MaxRead { get; set; }
    /// <summary>VFS flags (MS_*) besides MS_RDONLY. nosuid and nodev are on unless suid/dev is given.</summary>
    public ulong MountFlags { get; set; } = Interop.Libc.MS_NOSUID | Interop.Libc.MS_NODEV;
    /// <summary>How long the kernel caches a name → node answer (seconds; libfuse's entry_timeout).</summary>
    public double EntryTimeout { get; set; } = 1.0;
    /// <summary>How long the kernel caches attributes (attr_timeout).</summary>
    public double AttrTimeout { get; set; } = 1.0;
    /// <summary>How long the kernel caches a "no such name" answer (negative_timeout).</summary>
    public double NegativeTimeout { get; set; } = 1.0;
    /// <summary>Every read and write reaches the filesystem (no page cache).</summary>
    public bool DirectIo { get; set; }
    /// <summary>FUSE_WRITEBACK_CACHE: writes land in the page cache and reach the filesystem later, in larger pieces;
    /// the kernel keeps mtime, ctime and size itself meanwhile (libfuse's writeback_cache).</summary>
    public bool WritebackCache { get; set; }
    /// <summary>FOPEN_KEEP_CACHE on every open: the page cache survives across opens (libfuse's kernel_cache). For a
    /// filesystem whose data never changes except through this mount.</summary>
    public bool KernelCache { get; set; }
    /// <summary>Keep the page cache across opens while the file's mtime and size are unchanged since the last open,
    /// else drop it (libfuse's auto_cache). loopback only.</summary>
    public bool AutoCache { get; set; }
    /// <summary>Register open files as FUSE passthrough backing files (loopback).</summary>
    public bool Passthrough { get; set; }
    /// <summary>Send READ data from file descriptors by pread + writev instead of splice (for comparison).</summary>
    public bool NoSpliceRead { get; set; }
    /// <summary>How requests reach the daemon (-o transport=auto|devfuse|uring|fuse-uring).</summary>
    public Session.TransportKind Transport { get; set; } = Session.TransportKind.Auto;
    /// <summary>fuse-uring ring entries per CPU queue (-o uring_depth=N).</summary>
    public int? UringDepth { get; set; }
    /// <summary>Force the fusermount3 path even as root.</summary>
    public bool UseFusermount { get; set; }
    /// <summary>Unmount lazily (MNT_DETACH / fusermount3 -z).</summary>
    public bool LazyUnmount { get; set; }
    /// <summary>
    /// Unmount when the daemon dies, however it dies (libfuse's auto_unmount): through fusermount3's own watcher, or
    /// for a mount(2) mount the program's <see cref="AutoUnmountWatcher"/> (fusermount3 when it has none).
    /// </summary>
    public bool AutoUnmount { get; set; }
    /// <summary>libfuse's <c>-o debug</c>: one log line per request and per reply (the session logs at Debug level).</summary>
    public bool Debug { get; set; }
    /// <summary>memfs: bytes of file data it may hold (size=, as tmpfs takes it: k/m/g/t suffixes or a % of physical
    /// memory, rounded up to 4 KiB; 0 = no limit). Null when not given. Only memfs reads it.</summary>
    public long? Size { get; set; }
    /// <summary>memfs: how many inodes it may hold (nr_inodes=, k/m/g suffixes; 0 = no limit). Only memfs reads it.</summary>
    public long? NrInodes { get; set; }

    /// <summary>The names of the options given (key of key=value), for callers that refuse some in some cases.</summary>
    public IReadOnlySet<string> Given => _given;
    private readonly HashSet<string> _given = new(StringComparer.Ordinal);

    /// <summary>Every option the parser accepts, each with what it does to the options: one row each, so the list of
    /// accepted options (<see cref="Accepted"/>) is this table and nothing else.</summary>
    private static readonly Dictionary<string, Action<MountOptions, string, string?>> Handlers = new(StringComparer.Ordinal)
    {
        ["allow_other"] = (o, key, value) => { Flag(key, value); o.AllowOther = true; },
        ["allow_root"] = (o, key, value) => { Flag(key, value); o.AllowRoot = true; },
        ["default_permissions"] = (o, key, value) => { Flag(key, value); o.DefaultPermissions = true; },
        ["ro"] = (o, key, value) => { Flag(key, value); o.ReadOnly = true; },
        ["rw"] = (o, key, value) => { Flag(key, value); o.ReadOnly = false; },
        ["fsname"] = (o, key, value) => { o.FsName = NonEmpty(key, value); },
        ["subtype"] = (o, key, value) => { o.Subtype = value == "" ? "" : NonEmpty(key, value); },   // subtype= (empty): the plain type "fuse"
        ["max_read"] = (o, key, value) => { o.MaxRead = UInt(key, value, 4096, 1u << 30); },
        ["entry_timeout"] = (o, key, value) => { o.EntryTimeout = Seconds(key, value); },
        ["attr_timeout"] = (o, key, value) => { o.AttrTimeout = Seconds(key, value); },
        ["negative_timeout"] = (o, key, value) => { o.NegativeTimeout = Seconds(key, value); },
        ["direct_io"] = (o, key, value) => { Flag(key, value); o.DirectIo = true; },
        ["passthrough"] = (o, key, value) => { Flag(key, value); o.Passthrough = true; },
        ["writeback_cache"] = (o, key, value) => { Flag(key, value); o.WritebackCache = true; },
        ["no_writeback_cache"] = (o, key, value) => { Flag(key, value); o.WritebackCache = false; },
        ["kernel_cache"] = (o, key, value) => { Flag(key, value); o.KernelCache = true; },
        ["auto_cache"] = (o, key, value) => { Flag(key, value); o.AutoCache = true; },
        ["no_splice_read"] = (o, key, value) => { Flag(key, value); o.NoSpliceRead = true; },
        ["transport"] = (o, key, value) => { o.Transport = TransportOf(value); },
        ["uring_depth"] = (o, key, value) => { o.UringDepth = (int)UInt(key, value, 1, 4096); },
        ["fusermount"] = (o, key, value) => { Flag(key, value); o.UseFusermount = true; },
        ["lazy_umount"] = (o, key, value) => { Flag(key, value); o.LazyUnmount = true; },
        ["debug"] = (o, key, value) => { Flag(key, value); o.Debug = true; },
        ["auto_unmount"] = (o, key, value) => { Flag(key, value); o.AutoUnmount = true; },
        ["nosuid"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_NOSUID; },
        ["suid"] = (o, key, value) => { Flag(key, value); o.MountFlags &= ~Interop.Libc.MS_NOSUID; },
        ["nodev"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_NODEV; },
        ["dev"] = (o, key, value) => { Flag(key, value); o.MountFlags &= ~Interop.Libc.MS_NODEV; },
        ["noexec"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_NOEXEC; },
        ["exec"] = (o, key, value) => { Flag(key, value); o.MountFlags &= ~Interop.Libc.MS_NOEXEC; },
        ["noatime"] = (o, key, value) => { Flag(key, value); o.Atime(Interop.Libc.MS_NOATIME); },
        ["atime"] = (o, key, value) => { Flag(key, value); o.MountFlags &= ~Interop.Libc.MS_NOATIME; },
        ["nodiratime"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_NODIRATIME; },
        ["relatime"] = (o, key, value) => { Flag(key, value); o.Atime(Interop.Libc.MS_RELATIME); },
        // Not using relatime means strictatime: clearing MS_RELATIME alone changes nothing (the kernel's default).
        ["norelatime"] = (o, key, value) => { Flag(key, value); o.Atime(Interop.Libc.MS_STRICTATIME); },
        ["strictatime"] = (o, key, value) => { Flag(key, value); o.Atime(Interop.Libc.MS_STRICTATIME); },
        ["sync"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_SYNCHRONOUS; },
        ["async"] = (o, key, value) => { Flag(key, value); o.MountFlags &= ~Interop.Libc.MS_SYNCHRONOUS; },
        ["dirsync"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_DIRSYNC; },
        ["lazytime"] = (o, key, value) => { Flag(key, value); o.MountFlags |= Interop.Libc.MS_LAZYTIME; },
        ["size"] = (o, key, value) => { o.Size = Bytes(key, value, percent: true); },
        ["nr_inodes"] = (o, key, value) => { o.NrInodes = Bytes(key, value, percent: false); },
    };

    /// <summary>noatime, relatime and strictatime exclude each other: the last one given wins (with two of them the
    /// kernel would pick one by its own order, and the earlier option would be accepted and ignored).</summary>
    private void Atime(ulong flag) =>
        MountFlags = (MountFlags & ~(Interop.Libc.MS_NOATIME | Interop.Libc.MS_RELATIME | Interop.Libc.MS_STRICTATIME)) | flag;

    /// <summary>The names of every option <see cref="Parse"/> accepts (keys of key=value).</summary>
    public static IReadOnlyCollection<string> Accepted => Handlers.Keys;

    /// <summary>Parse one or more comma-separated option lists (each the argument of a <c>-o</c>).</summary>
    public static MountOptions Parse(params string[] lists)
    {
        var o = new MountOptions();
        foreach (var list in lists) o.Apply(list);
        o.CheckCombination();
        return o;
    }

    /// <summary>Apply one comma-separated option list (the argument of one <c>-o</c>) on top of these options; an
    /// unknown or malformed option throws <see cref="MountException"/>. <see cref="Parse"/> also checks that the
    /// options agree.</summary>
    public void Apply(string list)
    {
        foreach (var raw in SplitOptions(list))
        {
            if (raw.Length == 0) continue;
            int eq = raw.IndexOf('=');
            string key = eq < 0 ? raw : raw[..eq];
            string? value = eq < 0 ? null : raw[(eq + 1)..];
            _given.Add(key);
            if (Handlers.TryGetValue(key, out var handle))
            {
                handle(this, key, value);
                continue;
            }
            if (key == "blksize")
                throw new MountException("mount option 'blksize' is for fuseblk mounts (a filesystem on a block device), which FastFuse does not make: the kernel refuses it on a fuse mount");
            if (key is "noforget" or "remember")
            {
                // libfuse's high-level (path) API forgets a node's number once the kernel does, which breaks NFS
                // export; these keep it. FastFuse's node numbers live until the last FORGET and LoopbackFs answers
                // file handles, so there is nothing they would keep: refused rather than accepted and ignored.
                throw new MountException($"mount option '{key}' is libfuse's high-level path API's (it keeps node numbers for NFS export); FastFuse's node numbers already live as long as the kernel holds them, so it has no effect here and is refused");
            }
            throw new MountException($"unknown mount option '{raw}' (see fastfuse --help for the options)");
        }
    }

    /// <summary>Options that contradict each other, refused once all lists are read.</summary>
    private void CheckCombination()
    {
        if (WritebackCache && Passthrough)
            throw new MountException("writeback_cache and passthrough cannot be used together: the kernel refuses FUSE passthrough on a connection with writeback caching");
        if (UringDepth is not null && Transport == Session.TransportKind.DevFuse)
            throw new MountException("uring_depth applies to transport=uring and transport=fuse-uring; /dev/fuse workers read one request at a time");
        if (NoSpliceRead && Transport == Session.TransportKind.FuseUring)
            throw new MountException("no_splice_read applies to transport=devfuse and transport=uring: fuse-uring copies file data into its ring buffers and never splices");
        if (AllowOther && AllowRoot)
            throw new MountException("allow_other and allow_root are mutually exclusive");
        if (KernelCache && AutoCache)
            throw new MountException("kernel_cache and auto_cache contradict each other: kernel_cache always keeps the page cache, auto_cache only while the file is unchanged");
    }

    /// <summary>Options are comma-separated; a backslash escapes a comma inside a value (fsname=a\,b).</summary>
    private static IEnumerable<string> SplitOptions(string list)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < list.Length; i++)
        {
            char c = list[i];
            if (c == '\\' && i + 1 < list.Length) { sb.Append(list[++i]); continue; }
            if (c == ',') { yield return sb.ToString(); sb.Clear(); continue; }
            sb.Append(c);
        }
        yield return sb.ToString();
    }

    private static void Flag(string key, string? value)
    {
        if (value is not null) throw new MountException($"mount option '{key}' takes no value (got '{key}={value}')");
    }

    private static string NonEmpty(string key, string? value)
    {
        if (string.IsNullOrEmpty(value)) throw new MountException($"mount option '{key}' needs a value ({key}=...)");
        if (value.IndexOfAny(key == "fsname" ? new[] { '\0', '\n' } : new[] { ',', '\0', '\n' }) >= 0) throw new MountException($"mount option '{key}' has a character it cannot hold: '{value}'");
        return value;
    }

    private static uint UInt(string key, string? value, uint min, uint max)
    {
        if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n < min || n > max)
            throw new MountException($"mount option '{key}' needs a whole number from {min} to {max} (got '{value}')");
        return n;
    }

    private static Session.TransportKind TransportOf(string? value) => value switch
    {
        "auto" => Session.TransportKind.Auto,
        "devfuse" => Session.TransportKind.DevFuse,
        "fuse-uring" => Session.TransportKind.FuseUring,
        "uring" => Session.TransportKind.Uring,
        _ => throw new MountException($"transport must be auto, devfuse, uring or fuse-uring (got '{value}')"),
    };
    /// <summary>A count as tmpfs's memparse reads it: digits, then optionally k, m, g, t (binary, either case) or, for
    /// size, % of physical memory. Sizes are rounded up to whole 4 KiB pages.</summary>
    private static long Bytes(string key, string? value, bool percent)
    {
        string what = percent
            ? $"mount option '{key}' needs a size in bytes, with an optional k, m, g or t suffix or a % of physical memory (got '{value}')"
            : $"mount option '{key}' needs a whole number, with an optional k, m or g suffix (got '{value}')";
        if (string.IsNullOrEmpty(value)) throw new MountException(what);
        char last = char.ToLowerInvariant(value[^1]);
        int shift = last switch { 'k' => 10, 'm' => 20, 'g' => 30, 't' when percent => 40, _ => 0 };
        bool isPercent = percent && last == '%';
        string digits = shift > 0 || isPercent ? value[..^1] : value;
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) throw new MountException(what);
        if (isPercent)
        {
            if (n > 100) throw new MountException($"mount option '{key}' takes a percentage of physical memory up to 100% (got '{value}')");
            n = (long)(PhysicalMemory() * (n / 100.0));
        }
        else if (shift > 0)
        {
            if (n > long.MaxValue >> shift) throw new MountException($"mount option '{key}' is too large (got '{value}')");
            n <<= shift;
        }
        if (percent && n > 0) n = n > long.MaxValue - 4095 ? long.MaxValue & ~4095L : (n + 4095) & ~4095L;
        return n;
    }

    /// <summary>Physical memory (MemTotal of /proc/meminfo), what tmpfs takes its percentages of.</summary>
    private static long PhysicalMemory()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal) &&
                long.TryParse(line.AsSpan(9).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
                return kb * 1024;
        throw new MountException("cannot read the physical memory size from /proc/meminfo (for size=N%)");
    }

    private static double Seconds(string key, string? value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || double.IsNaN(s) || s < 0 || s > 1e9)
            throw new MountException($"mount option '{key}' needs a number of seconds ≥ 0, fractions allowed (got '{value}')");
        return s;
    }

    /// <summary>Hand the options that are the session's, not the kernel's, to <paramref name="session"/>: transport,
    /// uring_depth, no_splice_read. Every program that mounts from an option list calls this (the CLI, the C ABI), so
    /// none of them accepts these and then ignores them.</summary>
    public void ApplyTo(Session.SessionOptions session)
    {
        session.Transport = Transport;
        if (UringDepth is { } depth) session.UringDepth = depth;
        session.SpliceReads = !NoSpliceRead;
    }

    /// <summary>The kernel's mount data: fd=,rootmode=,user_id=,group_id= plus the options fuse itself parses.</summary>
    internal string KernelData(int fd, uint rootMode, uint uid, uint gid)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"fd={fd},rootmode={Convert.ToString(rootMode, 8)},user_id={uid},group_id={gid}");
        AppendFuseOptions(sb);
        return sb.ToString();
    }

    private void AppendFuseOptions(StringBuilder sb)
    {
        if (DefaultPermissions) sb.Append(",default_permissions");
        // allow_root is allow_other for the kernel; the session refuses everyone but the owner and root.
        if (AllowOther || AllowRoot) sb.Append(",allow_other");
        if (MaxRead is { } mr) sb.Append(CultureInfo.InvariantCulture, $",max_read={mr}");
    }

    /// <summary>The -o string for fusermount3 (it adds fd, rootmode, user_id and group_id itself).</summary>
    internal string FusermountOptions()
    {
        var sb = new StringBuilder();
        sb.Append("fsname=").Append(FsName.Replace(",", "\\,"));
        if (!string.IsNullOrEmpty(Subtype)) sb.Append(",subtype=").Append(Subtype);
        sb.Append(ReadOnly ? ",ro" : ",rw");
        sb.Append((MountFlags & Interop.Libc.MS_NOSUID) != 0 ? ",nosuid" : ",suid");
        sb.Append((MountFlags & Interop.Libc.MS_NODEV) != 0 ? ",nodev" : ",dev");
        if ((MountFlags & Interop.Libc.MS_NOEXEC) != 0) sb.Append(",noexec");
        if ((MountFlags & Interop.Libc.MS_NOATIME) != 0) sb.Append(",noatime");
        if ((MountFlags & Interop.Libc.MS_NODIRATIME) != 0) sb.Append(",nodiratime");
        if ((MountFlags & Interop.Libc.MS_SYNCHRONOUS) != 0) sb.Append(",sync");
        if ((MountFlags & Interop.Libc.MS_DIRSYNC) != 0) sb.Append(",dirsync");
        if (AutoUnmount) sb.Append(",auto_unmount");
        AppendFuseOptions(sb);
        return sb.ToString();
    }

    /// <summary>The filesystem type for mount(2) and /proc/mounts: fuse or fuse.SUBTYPE.</summary>
    internal string FsType => string.IsNullOrEmpty(Subtype) ? "fuse" : "fuse." + Subtype;
}
