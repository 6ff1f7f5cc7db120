using System.Globalization;
using FastFuse.Mounting;

namespace FastFuse.Cli;

/// <summary>The command line, parsed: which filesystem, where, and how.</summary>
public sealed class CliOptions
{
    public string? FileSystem { get; private set; }
    public string? Source { get; private set; }
    public string? Mountpoint { get; private set; }
    public List<string> OptionLists { get; } = new();
    public bool Foreground { get; private set; }
    public bool Debug { get; private set; }
    public bool PrintStats { get; private set; }
    public bool Help { get; private set; }
    public bool Version { get; private set; }
    public int? Threads { get; private set; }
    public int? SpinMicroseconds { get; private set; }
    /// <summary>--log FILE: where stdout and stderr go once the mount answers (appended), instead of /dev/null.</summary>
    public string? LogFile { get; private set; }
    public MountOptions Mount { get; private set; } = new();

    public static readonly string[] FileSystems = { "memfs", "hello", "loopback", "zip" };

    public const string Usage =
        """
        usage: fastfuse FILESYSTEM [SOURCE] MOUNTPOINT [options]

        filesystems:
          memfs MOUNTPOINT            a read-write in-memory filesystem
          hello MOUNTPOINT            one read-only file, /hello
          loopback SOURCE MOUNTPOINT  mirror the directory SOURCE (also loopback:SOURCE MOUNTPOINT)
          zip ARCHIVE MOUNTPOINT      the zip archive ARCHIVE as a read-only directory tree (also zip:ARCHIVE MOUNTPOINT)

        options:
          -o OPT[,OPT...]   mount options (may be repeated):
                              allow_other, allow_root, default_permissions, ro, rw, fsname=NAME, subtype=NAME,
                              max_read=N, nosuid/suid, nodev/dev, noexec/exec, noatime, nodiratime,
                              relatime, strictatime, sync, dirsync,
                              entry_timeout=S, attr_timeout=S, negative_timeout=S (seconds, fractions allowed,
                              default 1), direct_io (every read and write reaches the filesystem),
                              writeback_cache (writes collect in the page cache, reach the filesystem later),
                              kernel_cache (keep the page cache across opens), auto_cache (loopback: keep it
                              while the source file is unchanged),
                              fusermount (mount through fusermount3 even as root), lazy_umount, debug (as -d),
                              auto_unmount (unmount when the daemon dies, even by SIGKILL),
                              passthrough (loopback: reads and writes bypass the daemon, FUSE passthrough),
                              no_splice_read (loopback, zip: send file data by pread + writev instead of splice),
                              size=BYTES (memfs: k/m/g/t suffix or N% of RAM, 0 = no limit), nr_inodes=N (memfs),
                              transport=auto|devfuse|uring|fuse-uring (how requests arrive, default auto),
                              uring_depth=N (requests in flight per ring); all of them: docs/options.md
          -f                stay in the foreground (default: detach once mounted: the daemon runs in a session
                            of its own, in /, with stdin, stdout and stderr on /dev/null)
          --log FILE        once mounted, append stdout and stderr (warnings, errors, --stats) to FILE instead
          -d, -o debug      debug: one line per request and per reply (implies -f)
          -s                single-threaded: one worker (as --threads 1)
          --threads N       worker threads (default: number of CPUs)
          --spin US         microseconds a worker busy-polls for the next request before sleeping (default 50, 0 = never)
          --stats           print per-opcode counts, latency percentiles and reply classes at exit
          -h, --help        this text
          -V, --version     print the version
        SIGINT or SIGTERM unmounts and exits (even when started with them ignored).
        """;

    /// <summary>Parse argv; throws <see cref="MountException"/> with one clear line on bad input.</summary>
    public static CliOptions Parse(string[] args)
    {
        var o = new CliOptions();
        var positional = new List<string>();
        bool single = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "-h" or "--help": o.Help = true; break;
                case "-V" or "--version": o.Version = true; break;
                case "-f": o.Foreground = true; break;
                case "-d" or "--debug": o.Debug = true; o.Foreground = true; break;
                case "-s": single = true; break;
                case "--stats": o.PrintStats = true; break;
                case "-o":
                    if (i + 1 >= args.Length) throw new MountException("-o needs an option list (e.g. -o allow_other,ro)");
                    o.OptionLists.Add(args[++i]);
                    break;
                case "--threads":
                    if (i + 1 >= args.Length) throw new MountException("--threads needs a number");
                    o.Threads = ParseThreads(args[++i]);
                    break;
                case "--log":
                    if (i + 1 >= args.Length) throw new MountException("--log needs a file name");
                    o.LogFile = NonEmptyLog(args[++i]);
                    break;
                case "--spin":
                    if (i + 1 >= args.Length) throw new MountException("--spin needs a number of microseconds");
                    o.SpinMicroseconds = ParseSpin(args[++i]);
                    break;
                default:
                    if (a.StartsWith("--spin=", StringComparison.Ordinal)) { o.SpinMicroseconds = ParseSpin(a["--spin=".Length..]); break; }
                    if (a.StartsWith("--log=", StringComparison.Ordinal)) { o.LogFile = NonEmptyLog(a["--log=".Length..]); break; }
                    if (a.StartsWith("-o", StringComparison.Ordinal) && a.Length > 2) { o.OptionLists.Add(a[2..]); break; }
                    if (a.StartsWith("--threads=", StringComparison.Ordinal)) { o.Threads = ParseThreads(a["--threads=".Length..]); break; }
                    if (a.StartsWith('-') && a.Length > 1) throw new MountException($"unknown option '{a}' (see fastfuse --help)");
                    positional.Add(a);
                    break;
            }
        }
        if (o.Help || o.Version) return o;
        if (positional.Count == 0) throw new MountException("no filesystem given (memfs, hello, loopback or zip); see fastfuse --help");
        o.FileSystem = positional[0];
        // loopback:SOURCE is loopback SOURCE in one word, the form an fstab line or mount(8) can pass as the source;
        // zip:ARCHIVE likewise.
        foreach (var (fs, what) in new[] { ("loopback", "a SOURCE directory"), ("zip", "an ARCHIVE") })
        {
            string prefix = fs + ":";
            if (!o.FileSystem.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (o.FileSystem.Length == prefix.Length) throw new MountException($"{prefix} needs {what} after the colon");
            positional.Insert(1, o.FileSystem[prefix.Length..]);
            o.FileSystem = positional[0] = fs;
        }
        if (Array.IndexOf(FileSystems, o.FileSystem) < 0)
            throw new MountException($"unknown filesystem '{o.FileSystem}' (memfs, hello, loopback or zip)");
        int want = o.FileSystem is "loopback" or "zip" ? 3 : 2;
        if (positional.Count < want)
            throw new MountException(o.FileSystem switch
            {
                "loopback" => "loopback needs SOURCE and MOUNTPOINT",
                "zip" => "zip needs ARCHIVE and MOUNTPOINT",
                _ => $"{o.FileSystem} needs a MOUNTPOINT",
            });
        if (positional.Count > want)
            throw new MountException($"unexpected argument '{positional[want]}'");
        if (want == 3) o.Source = positional[1];
        o.Mountpoint = positional[want - 1];
        o.Mount = MountOptions.Parse(o.OptionLists.ToArray());
        RefuseWhatTheFileSystemIgnores(o.FileSystem, o.Mount);
        // libfuse's -o debug is -d: the trace, in the foreground.
        if (o.Mount.Debug) { o.Debug = true; o.Foreground = true; }
        o.Mount.Debug = o.Debug;
        if (o.PrintStats && !o.Foreground && o.LogFile is null)
            throw new MountException("--stats prints when the daemon exits, and a detached daemon has no terminal: add -f, or --log FILE");
        if (single)
        {
            if (o.Threads is { } n && n != 1) throw new MountException($"-s (one thread) contradicts --threads {n}");
            o.Threads = 1;
        }
        return o;
    }

    /// <summary>
    /// Options the chosen filesystem would take and do nothing with: passthrough and no_splice_read are about
    /// loopback's file descriptors (zip splices its stored entries, so no_splice_read applies there too); hello
    /// answers with fixed cache times and no direct_io; zip is read-only and keeps the page cache.
    /// </summary>
    private static void RefuseWhatTheFileSystemIgnores(string fs, MountOptions m)
    {
        string[] loopbackOnly = { "passthrough", "no_splice_read", "auto_cache" };
        string[] notHello = { "direct_io", "entry_timeout", "attr_timeout", "negative_timeout", "writeback_cache", "kernel_cache" };
        string[] notZip = { "rw", "direct_io", "writeback_cache", "kernel_cache" };
        foreach (var key in m.Given)
        {
            if (fs == "zip" && Array.IndexOf(notZip, key) >= 0)
                throw new MountException($"mount option '{key}' does not apply to zip (read-only, page cache always kept)");
            if (fs == "zip" && key == "no_splice_read") continue;
            if (fs != "loopback" && Array.IndexOf(loopbackOnly, key) >= 0)
                throw new MountException(key == "auto_cache"
                    ? $"mount option 'auto_cache' is for loopback only: {fs}'s files change only through the mount, so its page cache is already kept while it stays right"
                    : $"mount option '{key}' is for loopback only: {fs} has no files of its own to read");
            if (fs == "hello" && Array.IndexOf(notHello, key) >= 0)
                throw new MountException($"mount option '{key}' does not apply to hello (read-only, fixed cache times, page cache always)");
        }
    }

    private static string NonEmptyLog(string s) =>
        s.Length > 0 ? s : throw new MountException("--log needs a file name");

    private static int ParseSpin(string s)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 1_000_000)
            throw new MountException($"--spin needs a whole number of microseconds from 0 to 1000000 (got '{s}')");
        return n;
    }

    private static int ParseThreads(string s)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 256)
            throw new MountException($"--threads needs a whole number from 1 to 256 (got '{s}')");
        return n;
    }
}
