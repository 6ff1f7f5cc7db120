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
    public MountOptions Mount { get; private set; } = new();

    public static readonly string[] FileSystems = { "memfs", "hello", "loopback" };

    public const string Usage =
        """
        usage: fastfuse FILESYSTEM [SOURCE] MOUNTPOINT [options]

        filesystems:
          memfs MOUNTPOINT            a read-write in-memory filesystem
          hello MOUNTPOINT            one read-only file, /hello
          loopback SOURCE MOUNTPOINT  mirror the directory SOURCE

        options:
          -o OPT[,OPT...]   mount options (may be repeated):
                              allow_other, allow_root, default_permissions, ro, rw, fsname=NAME, subtype=NAME,
                              max_read=N, blksize=N, nosuid/suid, nodev/dev, noexec/exec, noatime, nodiratime,
                              relatime, strictatime, sync, dirsync,
                              entry_timeout=S, attr_timeout=S, negative_timeout=S (seconds, fractions allowed,
                              default 1), direct_io (every read and write reaches the filesystem),
                              fusermount (mount through fusermount3 even as root), lazy_umount,
                              passthrough (loopback: reads and writes bypass the daemon, FUSE passthrough),
                              no_splice_read (loopback: send file data by pread + writev instead of splice),
                              size=BYTES (memfs: k/m/g/t suffix or N% of RAM, 0 = no limit), nr_inodes=N (memfs)
          -f                stay in the foreground (default: detach once mounted)
          -d                debug: one line per request and per reply (implies -f)
          --threads N       worker threads (default: number of CPUs)
          --spin US         microseconds a worker busy-polls for the next request before sleeping (default 50, 0 = never)
          --stats           print per-opcode counts, latency percentiles and reply classes at exit
          -h, --help        this text
          -V, --version     print the version
        SIGINT or SIGTERM unmounts and exits.
        """;

    /// <summary>Parse argv; throws <see cref="MountException"/> with one clear line on bad input.</summary>
    public static CliOptions Parse(string[] args)
    {
        var o = new CliOptions();
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "-h" or "--help": o.Help = true; break;
                case "-V" or "--version": o.Version = true; break;
                case "-f": o.Foreground = true; break;
                case "-d" or "--debug": o.Debug = true; o.Foreground = true; break;
                case "--stats": o.PrintStats = true; break;
                case "-o":
                    if (i + 1 >= args.Length) throw new MountException("-o needs an option list (e.g. -o allow_other,ro)");
                    o.OptionLists.Add(args[++i]);
                    break;
                case "--threads":
                    if (i + 1 >= args.Length) throw new MountException("--threads needs a number");
                    o.Threads = ParseThreads(args[++i]);
                    break;
                case "--spin":
                    if (i + 1 >= args.Length) throw new MountException("--spin needs a number of microseconds");
                    o.SpinMicroseconds = ParseSpin(args[++i]);
                    break;
                default:
                    if (a.StartsWith("--spin=", StringComparison.Ordinal)) { o.SpinMicroseconds = ParseSpin(a["--spin=".Length..]); break; }
                    if (a.StartsWith("-o", StringComparison.Ordinal) && a.Length > 2) { o.OptionLists.Add(a[2..]); break; }
                    if (a.StartsWith("--threads=", StringComparison.Ordinal)) { o.Threads = ParseThreads(a["--threads=".Length..]); break; }
                    if (a.StartsWith('-') && a.Length > 1) throw new MountException($"unknown option '{a}' (see fastfuse --help)");
                    positional.Add(a);
                    break;
            }
        }
        if (o.Help || o.Version) return o;
        if (positional.Count == 0) throw new MountException("no filesystem given (memfs, hello or loopback); see fastfuse --help");
        o.FileSystem = positional[0];
        if (Array.IndexOf(FileSystems, o.FileSystem) < 0)
            throw new MountException($"unknown filesystem '{o.FileSystem}' (memfs, hello or loopback)");
        int want = o.FileSystem == "loopback" ? 3 : 2;
        if (positional.Count < want)
            throw new MountException(o.FileSystem == "loopback" ? "loopback needs SOURCE and MOUNTPOINT" : $"{o.FileSystem} needs a MOUNTPOINT");
        if (positional.Count > want)
            throw new MountException($"unexpected argument '{positional[want]}'");
        if (want == 3) o.Source = positional[1];
        o.Mountpoint = positional[want - 1];
        o.Mount = MountOptions.Parse(o.OptionLists.ToArray());
        return o;
    }

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
