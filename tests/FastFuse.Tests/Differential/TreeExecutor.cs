using System.Text;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Differential;

/// <summary>What one tree answered to one op: the result (value or errno, normalised) and its side effects on
/// the timestamps of the paths it names and their parents.</summary>
public sealed record OpOutcome(string Result, string Effects);

/// <summary>
/// Applies ops to one tree (a plain directory or a mount) with the same syscalls, paths mapped under
/// <see cref="Root"/>, and renders each answer as a canonical string so the two trees can be compared exactly.
/// <para>Normalised, not compared raw: st_dev and st_ino (identity is compared instead: "same inode as before"
/// here, hard-link classes in <see cref="TreeSnapshot"/>); st_blocks (allocation granularity is the filesystem's
/// own business: ext4 allocates 4 KiB blocks and may preallocate, MemFs counts its chunks); atime (relatime);
/// the values of mtime/ctime set to "now" (the trees run the op at different instants: only whether the op
/// changed them is compared); st_size of directories (ext4 counts blocks, MemFs entries).</para>
/// </summary>
public sealed unsafe class TreeExecutor(string root)
{
    public string Root { get; } = root;
    /// <summary>Run every op in a later tick of the kernel's coarse clock than the last one ended in. With writeback
    /// caching the kernel stamps mtime and ctime itself, from that clock (a jiffy, 4 ms here), where ext4 stamps
    /// them finer; two changes within one tick would otherwise look like one.</summary>
    public bool OneOpPerClockTick { get; init; }
    private long _lastTick;

    [System.Runtime.InteropServices.DllImport("libc")] private static extern int clock_gettime(int clock, Timespec* ts);

    private static long CoarseNow()
    {
        Timespec t;
        clock_gettime(5 /* CLOCK_REALTIME_COARSE */, &t);
        return t.Sec * 1_000_000_000L + t.Nsec;
    }

    private void WaitForNextTick()
    {
        while (CoarseNow() == _lastTick) Thread.Sleep(0);
    }
    private static readonly long NowSlackNs = 30_000_000_000L;

    public string Map(string rel) => System.IO.Path.Combine(Root, rel);

    private static string Parent(string rel)
    {
        int i = rel.LastIndexOf('/');
        return i < 0 ? "" : rel[..i];
    }

    private readonly record struct Snap(bool Exists, ulong Ino, uint Type, long MtimeNs, long CtimeNs);

    private Snap Look(string rel)
    {
        if (TryStat(Map(rel), out var st, nofollow: true) != 0) return default;
        return new Snap(true, st.Ino, st.Type, MountTestUtil.Ns(st.Mtime), MountTestUtil.Ns(st.Ctime));
    }

    private static List<string> Watched(Op op)
    {
        var list = new List<string> { op.Path, Parent(op.Path) };
        if (op.Path2 is { } p2) { list.Add(p2); list.Add(Parent(p2)); }
        return list.Distinct().ToList();
    }

    public OpOutcome Apply(Op op)
    {
        var watched = Watched(op);
        var before = watched.ToDictionary(p => p, Look);
        if (OneOpPerClockTick) WaitForNextTick();
        string result = Run(op);
        if (OneOpPerClockTick) _lastTick = CoarseNow();
        var effects = new StringBuilder();
        foreach (var p in watched)
        {
            var b = before[p];
            var a = Look(p);
            effects.Append(p.Length == 0 ? "/" : p).Append(':');
            Describe(effects, b, a);
            effects.Append(' ');
        }
        // A rename moves an inode: did its own timestamps change on the way (ext4 updates the moved inode's ctime)?
        if (op.Kind == OpKind.Rename && result == "OK")
        {
            var movedTo = Look(op.Path2!);
            effects.Append("moved:");
            Describe(effects, before[op.Path], movedTo);
            if (op.Flags == (int)RENAME_EXCHANGE)
            {
                effects.Append(" exchanged:");
                Describe(effects, before[op.Path2!], Look(op.Path));
            }
        }
        return new OpOutcome(result, effects.ToString());
    }

    private static void Describe(StringBuilder sb, Snap b, Snap a)
    {
        if (!b.Exists && !a.Exists) sb.Append("absent");
        else if (!a.Exists) sb.Append("removed");
        else if (!b.Exists) sb.Append("appeared:").Append(TypeName(a.Type));
        else if (b.Ino != a.Ino) sb.Append("replaced:").Append(TypeName(b.Type)).Append("->").Append(TypeName(a.Type));
        else sb.Append(TypeName(a.Type)).Append(a.MtimeNs != b.MtimeNs ? " m+" : " m=").Append(a.CtimeNs != b.CtimeNs ? "c+" : "c=");
    }

    public static string TypeName(uint type) => type switch
    {
        S_IFREG => "reg", S_IFDIR => "dir", S_IFLNK => "lnk", S_IFIFO => "fifo", S_IFCHR => "chr", S_IFBLK => "blk",
        S_IFSOCK => "sock", _ => $"type{type:x}",
    };

    /// <summary>A failure renders as "!ERRNO" (so "did it succeed" is <c>!Result.Contains('!')</c>); 0 renders as "OK".</summary>
    private static string Fail(int errno) => errno == 0 ? "OK" : "!" + ErrName(errno);
    private static string Ok(long r) => r < 0 ? Fail(LastErrno) : "OK";

    /// <summary>The attributes compared by a stat op (see the class remarks for what is left out and why).</summary>
    public static string Attrs(in StatxInfo st)
    {
        var s = $"{TypeName(st.Type)} perm={Convert.ToString(st.Perm, 8)} nlink={st.Nlink} uid={st.Uid} gid={st.Gid}";
        return st.Type == S_IFDIR ? s : s + $" size={st.Size}";
    }

    private string Run(Op op)
    {
        string p = Map(op.Path);
        switch (op.Kind)
        {
            case OpKind.Create:
            {
                int fd = open(p, op.Flags | O_CLOEXEC, (int)op.Mode);
                if (fd < 0) return Fail(LastErrno);
                close(fd);
                return "OK";
            }
            case OpKind.Mkdir: return Ok(mkdir(p, op.Mode));
            case OpKind.Rename: return Ok(renameat2(AT_FDCWD, p, AT_FDCWD, Map(op.Path2!), (uint)op.Flags));
            case OpKind.Link: return Ok(link(p, Map(op.Path2!)));
            case OpKind.Symlink: return Ok(symlink(op.Text!, p));
            case OpKind.Unlink: return Ok(unlink(p));
            case OpKind.Rmdir: return Ok(rmdir(p));
            case OpKind.Truncate:
            {
                // Whether the size stays: with writeback caching the kernel then leaves mtime and ctime alone
                // (ext4 stamps them), which the runner forgives in that mode only.
                bool same = TryStat(p, out var st0) == 0 && st0.Type == S_IFREG && st0.Size == op.A;
                string r = Ok(truncate(p, op.A));
                return same && r == "OK" ? "OK same size" : r;
            }
            case OpKind.Chmod: return Ok(fchmodat(AT_FDCWD, p, op.Mode, op.NoFollow ? AT_SYMLINK_NOFOLLOW : 0));
            case OpKind.Utimens: return Utimens(op, p);
            case OpKind.Pwrite: return Pwrite(op, p);
            case OpKind.Pread: return Pread(op, p);
            case OpKind.SetXattr:
                return Fail(SetXattr(p, op.Text!, op.Data, op.Flags, op.NoFollow));
            case OpKind.GetXattr:
            {
                var (len, errno, value) = GetXattr(p, op.Text!, (int)op.A, op.NoFollow);
                if (len < 0) return Fail(errno);
                return $"len={len} value={Convert.ToHexString(value)}";
            }
            case OpKind.ListXattr: return ListX(p, (int)op.A, op.NoFollow);
            case OpKind.RemoveXattr: return Ok(op.NoFollow ? DiffSys.lremovexattr(p, op.Text!) : removexattr(p, op.Text!));
            case OpKind.Fallocate:
            {
                int fd = open(p, O_RDWR | O_CLOEXEC, 0);
                if (fd < 0) return "open:" + Fail(LastErrno);
                try { return Ok(fallocate(fd, op.Flags, op.A, op.B)); }
                finally { close(fd); }
            }
            case OpKind.CopyFileRange: return CopyRange(op, p);
            case OpKind.Readlink:
            {
                var buf = new byte[4096];
                fixed (byte* b = buf)
                {
                    long n = readlink(p, b, (nuint)buf.Length);
                    return n < 0 ? Fail(LastErrno) : "target=" + Encoding.UTF8.GetString(buf, 0, (int)n);
                }
            }
            case OpKind.Stat:
            {
                int e = TryStat(p, out var st, op.NoFollow);
                return e != 0 ? Fail(e) : Attrs(in st);
            }
            case OpKind.Readdir: return Readdir(p);
            default: throw new InvalidOperationException(op.Kind.ToString());
        }
    }

    private static string Utimens(Op op, string p)
    {
        var t = stackalloc Timespec[2];
        t[0] = new Timespec(op.A, op.B);
        t[1] = new Timespec(op.C, op.Flags);
        int flags = op.NoFollow ? AT_SYMLINK_NOFOLLOW : 0;
        bool hadBefore = TryStat(p, out var pre, op.NoFollow) == 0;
        if (utimensat(AT_FDCWD, p, t, flags) < 0) return Fail(LastErrno);
        if (TryStat(p, out var st, op.NoFollow) != 0) return "OK (stat after failed)";
        long now = MountTestUtil.NowNs();
        string Field(long sec, long nsec, (long, uint) got, (long, uint) old)
        {
            if (nsec == UTIME_NOW) return Math.Abs(now - MountTestUtil.Ns(got)) < NowSlackNs ? "now" : $"not-now({got})";
            if (nsec == UTIME_OMIT) return !hadBefore ? "omit" : got == old ? "kept" : $"changed({old}->{got})";
            return $"{got.Item1}.{got.Item2:D9}";
        }
        // Both UTIME_NOW and UTIME_OMIT for both fields: the kernel may skip the call entirely; still compared.
        return $"OK a={Field(op.A, op.B, st.Atime, pre.Atime)} m={Field(op.C, op.Flags, st.Mtime, pre.Mtime)}";
    }

    private static string Pwrite(Op op, string p)
    {
        int fd = open(p, O_WRONLY | O_CLOEXEC | op.Flags | (op.NoFollow ? O_NOFOLLOW : 0), 0);
        if (fd < 0) return "open:" + Fail(LastErrno);
        try
        {
            fixed (byte* d = op.Data)
            {
                long n = pwrite(fd, d, (nuint)op.Data!.Length, op.A);
                return n < 0 ? Fail(LastErrno) : $"n={n}";
            }
        }
        finally { close(fd); }
    }

    private static string Pread(Op op, string p)
    {
        int fd = open(p, O_RDONLY | O_CLOEXEC | (op.NoFollow ? O_NOFOLLOW : 0), 0);
        if (fd < 0) return "open:" + Fail(LastErrno);
        try
        {
            // One pread call, compared as is: its count (a short read in one tree only is a difference) and bytes.
            var buf = new byte[op.B];
            long n;
            fixed (byte* b = buf) n = pread(fd, b, (nuint)buf.Length, op.A);
            if (n < 0) return Fail(LastErrno);
            return $"n={n} sha={MountTestUtil.Sha256(buf.AsSpan(0, (int)n))[..16]}";
        }
        finally { close(fd); }
    }

    private static string ListX(string p, int size, bool nofollow)
    {
        var buf = new byte[Math.Max(size, 1)];
        fixed (byte* b = buf)
        {
            long r = nofollow ? DiffSys.llistxattr(p, size == 0 ? null : b, (nuint)size) : listxattr(p, size == 0 ? null : b, (nuint)size);
            if (r < 0) return Fail(LastErrno);
            if (size == 0) return $"len={r}";
            // Order is the filesystem's own (ext4: its on-disk order): compare the set.
            var names = Encoding.UTF8.GetString(buf, 0, (int)r).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
            return $"len={r} names={string.Join(',', names)}";
        }
    }

    private string CopyRange(Op op, string p)
    {
        int fin = open(p, O_RDONLY | O_CLOEXEC, 0);
        if (fin < 0) return "open-in:" + Fail(LastErrno);
        try
        {
            int fout = open(Map(op.Path2!), O_WRONLY | O_CLOEXEC, 0);
            if (fout < 0) return "open-out:" + Fail(LastErrno);
            try
            {
                long offIn = op.A, offOut = op.B;
                long n = copy_file_range(fin, &offIn, fout, &offOut, (nuint)op.C, 0);
                return n < 0 ? Fail(LastErrno) : $"n={n} in={offIn} out={offOut}";
            }
            finally { close(fout); }
        }
        finally { close(fin); }
    }

    private static string Readdir(string p)
    {
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return "open:" + Fail(LastErrno);
        try
        {
            var all = new List<Dirent>();
            while (true)
            {
                List<Dirent> batch;
                try { batch = GetDents(fd, 32768); }
                catch (PosixException e) { return "getdents:" + Fail(e.Errno); }
                if (batch.Count == 0) break;
                all.AddRange(batch);
            }
            return string.Join(' ', all.Select(d => $"{d.Name}:{d.Type}").Order(StringComparer.Ordinal));
        }
        finally { close(fd); }
    }
}
