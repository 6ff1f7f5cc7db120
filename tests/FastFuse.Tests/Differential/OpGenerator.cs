using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Differential;

/// <summary>
/// A seeded stream of operations over a small namespace under "t" (4 + 4×3 + 4×3×2 = 40 paths on 3 levels), so
/// ops hit existing and missing names, files and directories, and collide often.
/// <para>Symlink targets hold at most one leading "..", never ".." alone, so whatever a link resolves to stays
/// inside the filesystem root: links are only created under "t" (depth ≥ 1), so one ".." reaches at most the
/// root; "../x" can name a root-level entry, but the root only ever gets regular files besides "t" (mkdir and
/// symlink do not follow a final symlink), so no link can be created at depth 0 and climb above the root.
/// Paths outside the trees would differ between them, and an O_CREAT through such a link would write outside.</para>
/// <para><paramref name="probe"/> answers the type of a path in the reference tree (0 when absent): ops that need
/// an existing file, directory or symlink look for one there most of the time, so that they do not mostly fail
/// with ENOENT. The reference is deterministic, so the stream still depends only on the seed.</para>
/// </summary>
public sealed class OpGenerator(int seed, Func<string, uint>? probe = null)
{
    public const string Top = "t";
    private static readonly string[] L1 = ["a", "b", "c", "d"];
    private static readonly string[] L2 = ["e", "f", "g"];
    private static readonly string[] L3 = ["h", "i"];
    private static readonly string[] XattrNames = ["user.a", "user.b", "user.c", "user.long_attribute_name_" + new string('x', 40)];

    private readonly Random _r = new(seed);
    /// <summary>The last value generated per xattr name: sometimes set again as is (ext4 then changes nothing).</summary>
    private readonly Dictionary<string, byte[]> _lastXattr = new();
    private int _index;

    private static readonly (OpKind Kind, int Weight)[] Weights =
    [
        (OpKind.Create, 10), (OpKind.Mkdir, 8), (OpKind.Rename, 8), (OpKind.Link, 4), (OpKind.Symlink, 5),
        (OpKind.Unlink, 6), (OpKind.Rmdir, 5), (OpKind.Truncate, 5), (OpKind.Chmod, 4), (OpKind.Utimens, 4),
        (OpKind.Pwrite, 10), (OpKind.Pread, 6), (OpKind.SetXattr, 5), (OpKind.GetXattr, 3), (OpKind.ListXattr, 2),
        (OpKind.RemoveXattr, 2), (OpKind.Fallocate, 4), (OpKind.CopyFileRange, 4), (OpKind.Readlink, 2),
        (OpKind.Stat, 4), (OpKind.Readdir, 3),
    ];
    private static readonly int TotalWeight = Weights.Sum(w => w.Weight);

    /// <summary>Every path of the namespace (for tests of the generator itself).</summary>
    public static IEnumerable<string> AllPaths()
    {
        foreach (var a in L1)
        {
            yield return $"{Top}/{a}";
            foreach (var b in L2)
            {
                yield return $"{Top}/{a}/{b}";
                foreach (var c in L3) yield return $"{Top}/{a}/{b}/{c}";
            }
        }
    }

    public string RandomPath()
    {
        int d = _r.Next(100);
        string p = $"{Top}/{Pick(L1)}";
        if (d >= 45) p += "/" + Pick(L2);
        if (d >= 80) p += "/" + Pick(L3);
        return p;
    }

    /// <summary>With <paramref name="percent"/>% chance, a path that exists in the reference with one of
    /// <paramref name="types"/> (0 = any type), if one is found in a few tries; else a random path.</summary>
    private string Existing(int percent, params uint[] types)
    {
        if (probe is null || !Chance(percent)) return RandomPath();
        for (int i = 0; i < 16; i++)
        {
            string p = RandomPath();
            uint t = probe(p);
            if (t != 0 && (types.Length == 0 || types.Contains(t))) return p;
        }
        return RandomPath();
    }

    /// <summary>With <paramref name="percent"/>% chance, a path absent from the reference whose parent is a
    /// directory (where a create, mkdir, link, symlink or rename can succeed), if found in a few tries.</summary>
    private string Fresh(int percent)
    {
        if (probe is null || !Chance(percent)) return RandomPath();
        for (int i = 0; i < 16; i++)
        {
            string p = RandomPath();
            if (probe(p) == 0 && probe(p[..p.LastIndexOf('/')]) == Posix.S_IFDIR) return p;
        }
        return RandomPath();
    }

    private string Pick(string[] a) => a[_r.Next(a.Length)];
    private bool Chance(int percent) => _r.Next(100) < percent;

    private string AnyComponent() => _r.Next(3) switch { 0 => Pick(L1), 1 => Pick(L2), _ => Pick(L3) };

    private string SymlinkTarget() => _r.Next(8) switch
    {
        0 or 1 => AnyComponent(),                                  // a sibling (or dangling) name
        2 => $"{AnyComponent()}/{AnyComponent()}",                 // below a sibling
        3 => $"../{AnyComponent()}",                               // one level up
        4 => $"../{Top}/{Pick(L1)}",                               // back into t from the top
        5 => ".",                                                  // its own directory
        6 => "nonexistent_" + _r.Next(3),                          // dangling
        _ => Pick(L1) + "/" + Pick(L2) + "/" + Pick(L3),
    };

    private uint FileMode() => _r.Next(6) switch
    {
        0 => 0x1A4, 1 => 0x180, 2 => 0x1ED, 3 => 0, 4 => 0x1FF, _ => (uint)_r.Next(0x200),
    };

    /// <summary>An offset: mostly in the first 256 KiB, sometimes far (sparse holes), up to 4 MiB.</summary>
    private long Offset() => _r.Next(10) switch
    {
        < 5 => _r.Next(256 * 1024),
        < 8 => _r.Next(1 << 20),
        _ => _r.Next(4 << 20),
    };

    private int Length(int max) => _r.Next(10) switch
    {
        < 5 => _r.Next(4097),
        < 8 => _r.Next(64 * 1024 + 1),
        _ => _r.Next(max + 1),
    };

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _r.NextBytes(b);
        return b;
    }

    private (long Sec, long Nsec) TimeArg() => _r.Next(10) switch
    {
        < 2 => (0, Posix.UTIME_NOW),
        < 4 => (0, Posix.UTIME_OMIT),
        _ => (_r.NextInt64(0, 1L << 31), _r.Next(1_000_000_000)),
    };

    public Op Next()
    {
        int i = _index++;
        int w = _r.Next(TotalWeight);
        OpKind kind = OpKind.Create;
        foreach (var (k, weight) in Weights)
        {
            if (w < weight) { kind = k; break; }
            w -= weight;
        }
        string p = kind switch
        {
            OpKind.Pwrite or OpKind.Pread or OpKind.Truncate or OpKind.Fallocate or OpKind.CopyFileRange or OpKind.Link =>
                Existing(80, Posix.S_IFREG),
            OpKind.SetXattr or OpKind.GetXattr or OpKind.ListXattr or OpKind.RemoveXattr => Existing(80, Posix.S_IFREG, Posix.S_IFDIR),
            OpKind.Readlink => Existing(80, Posix.S_IFLNK),
            OpKind.Rmdir or OpKind.Readdir => Existing(70, Posix.S_IFDIR),
            OpKind.Unlink => Existing(70, Posix.S_IFREG, Posix.S_IFLNK),
            OpKind.Create or OpKind.Mkdir or OpKind.Symlink => Fresh(50),
            OpKind.Rename or OpKind.Chmod or OpKind.Utimens or OpKind.Stat => Existing(60),
            _ => RandomPath(),
        };
        switch (kind)
        {
            case OpKind.Create:
                int flags = Posix.O_WRONLY | Posix.O_CREAT;
                if (Chance(40)) flags |= Posix.O_EXCL;
                if (Chance(20)) flags |= Posix.O_TRUNC;
                if (Chance(10)) flags |= Posix.O_NOFOLLOW;
                return new Op(i, kind, p) { Flags = flags, Mode = FileMode() };
            case OpKind.Mkdir:
                return new Op(i, kind, p) { Mode = Chance(15) ? (uint)_r.Next(0x1000) : (Chance(50) ? 0x1EDu : 0x1FFu) };
            case OpKind.Rename:
                int rf = _r.Next(10) switch { < 5 => 0, < 8 => (int)Posix.RENAME_NOREPLACE, _ => (int)Posix.RENAME_EXCHANGE };
                return new Op(i, kind, p) { Path2 = rf == (int)Posix.RENAME_EXCHANGE ? Existing(70) : Fresh(40), Flags = rf };
            case OpKind.Link:
                return new Op(i, kind, p) { Path2 = Fresh(60) };
            case OpKind.Symlink:
                return new Op(i, kind, p) { Text = SymlinkTarget() };
            case OpKind.Unlink:
            case OpKind.Rmdir:
            case OpKind.Readlink:
            case OpKind.Readdir:
                return new Op(i, kind, p);
            case OpKind.Truncate:
                long size = _r.Next(10) switch { 0 => 0, < 4 => _r.Next(8193), < 7 => _r.Next(1 << 20), < 9 => _r.Next(4 << 20), _ => -1 };
                return new Op(i, kind, p) { A = size };
            case OpKind.Chmod:
                uint mode = _r.Next(6) switch { 0 => 0, 1 => 0xFFF, 2 => 0x1A4, 3 => 0x1ED, _ => (uint)_r.Next(0x1000) };
                return new Op(i, kind, p) { Mode = mode, NoFollow = Chance(15) };
            case OpKind.Utimens:
                var (asec, ansec) = TimeArg();
                var (msec, mnsec) = TimeArg();
                return new Op(i, kind, p) { A = asec, B = ansec, C = msec, Flags = (int)mnsec, NoFollow = Chance(30) };
            case OpKind.Pwrite:
                return new Op(i, kind, p)
                {
                    A = Offset(), Data = Bytes(Length(256 * 1024)), NoFollow = Chance(10),
                    Flags = Chance(10) ? Posix.O_APPEND : 0,
                };
            case OpKind.Pread:
                return new Op(i, kind, p) { A = Offset(), B = Length(256 * 1024), NoFollow = Chance(10) };
            case OpKind.SetXattr:
                string xname = Pick(XattrNames);
                var value = _lastXattr.TryGetValue(xname, out var last) && Chance(15) ? last : Bytes(_r.Next(10) == 0 ? 0 : _r.Next(1, 200));
                _lastXattr[xname] = value;
                return new Op(i, kind, p)
                {
                    Text = xname, Data = value,
                    Flags = _r.Next(4) switch { 0 => Posix.XATTR_CREATE, 1 => Posix.XATTR_REPLACE, _ => 0 },
                    NoFollow = Chance(20),
                };
            case OpKind.GetXattr:
                return new Op(i, kind, p)
                {
                    Text = Pick(XattrNames), A = _r.Next(4) switch { 0 => 0, 1 => _r.Next(1, 16), _ => 65536 },
                    NoFollow = Chance(20),
                };
            case OpKind.ListXattr:
                return new Op(i, kind, p) { A = _r.Next(4) switch { 0 => 0, 1 => _r.Next(1, 12), _ => 65536 }, NoFollow = Chance(20) };
            case OpKind.RemoveXattr:
                return new Op(i, kind, p) { Text = Pick(XattrNames), NoFollow = Chance(20) };
            case OpKind.Fallocate:
                int fm = _r.Next(6) switch
                {
                    0 or 1 => 0,
                    2 => Posix.FALLOC_FL_KEEP_SIZE,
                    3 => Posix.FALLOC_FL_PUNCH_HOLE | Posix.FALLOC_FL_KEEP_SIZE,
                    4 => Posix.FALLOC_FL_ZERO_RANGE,
                    _ => Posix.FALLOC_FL_ZERO_RANGE | Posix.FALLOC_FL_KEEP_SIZE,
                };
                return new Op(i, kind, p) { Flags = fm, A = Offset(), B = _r.Next(20) == 0 ? 0 : Length(1 << 20) };
            case OpKind.CopyFileRange:
                bool same = Chance(30);
                long offIn = Offset(), len = Length(256 * 1024);
                // Within one file: the ranges never overlap (the kernel refuses that with EINVAL).
                long offOut = same ? offIn + len + _r.Next(8192) : Offset();
                if (same && Chance(50) && offIn >= len) { offOut = offIn - len - _r.Next((int)Math.Min(offIn - len, 8192) + 1); }
                return new Op(i, kind, p) { Path2 = same ? p : Existing(80, Posix.S_IFREG), A = offIn, B = Math.Max(0, offOut), C = len };
            case OpKind.Stat:
                return new Op(i, kind, p) { NoFollow = Chance(50) };
            default:
                throw new InvalidOperationException(kind.ToString());
        }
    }
}
