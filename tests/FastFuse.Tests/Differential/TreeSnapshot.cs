using System.Text;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Differential;

/// <summary>
/// Everything compared between two trees after (and during) a run, path by path, without following symlinks:
/// type, permission bits, uid, gid, nlink, size (not for directories), SHA-256 of file contents, symlink
/// targets, xattr names and values; plus the hard-link classes (which paths name the same inode: compared as
/// sets of path groups, since inode numbers themselves differ between filesystems).
/// </summary>
public sealed unsafe class TreeSnapshot
{
    public SortedDictionary<string, string> Entries { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> LinkClasses { get; } = new(StringComparer.Ordinal);

    public static TreeSnapshot Take(string root)
    {
        var snap = new TreeSnapshot();
        var byIno = new Dictionary<ulong, List<string>>();
        snap.Walk(root, "", byIno);
        foreach (var group in byIno.Values.Where(g => g.Count > 1))
            snap.LinkClasses.Add(string.Join(" = ", group.Order(StringComparer.Ordinal)));
        return snap;
    }

    private void Walk(string root, string rel, Dictionary<ulong, List<string>> byIno)
    {
        string full = rel.Length == 0 ? root : System.IO.Path.Combine(root, rel);
        int e = TryStat(full, out var st, nofollow: true);
        if (e != 0) { Entries[rel] = "lstat:" + ErrName(e); return; }
        var sb = new StringBuilder(TreeExecutor.Attrs(in st));
        if (rel.Length > 0 && st.Type != S_IFDIR)
        {
            if (!byIno.TryGetValue(st.Ino, out var list)) byIno[st.Ino] = list = new List<string>();
            list.Add(rel);
        }
        if (st.Type == S_IFREG) sb.Append(" sha=").Append(Hash(full));
        if (st.Type == S_IFLNK) sb.Append(" target=").Append(ReadLink(full));
        sb.Append(Xattrs(full));
        Entries[rel.Length == 0 ? "/" : rel] = sb.ToString();
        if (st.Type != S_IFDIR) return;
        foreach (var d in ReadDir(full).Where(d => d.Name is not "." and not "..").OrderBy(d => d.Name, StringComparer.Ordinal))
            Walk(root, rel.Length == 0 ? d.Name : rel + "/" + d.Name, byIno);
    }

    private static string Hash(string path)
    {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) return "open:" + ErrName(LastErrno);
        try
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buf = new byte[1 << 20];
            long off = 0;
            while (true)
            {
                int n;
                try { n = Pread(fd, buf, off); }
                catch (PosixException ex) { return "read:" + ErrName(ex.Errno); }
                if (n == 0) break;
                sha.AppendData(buf, 0, n);
                off += n;
            }
            return Convert.ToHexString(sha.GetHashAndReset())[..16] + $"({off}B)";
        }
        finally { close(fd); }
    }

    private static string Xattrs(string path)
    {
        var buf = new byte[65536];
        long r;
        fixed (byte* b = buf) r = DiffSys.llistxattr(path, b, (nuint)buf.Length);
        if (r < 0) return " llistxattr:" + ErrName(LastErrno);
        if (r == 0) return "";
        var sb = new StringBuilder(" xattrs{");
        foreach (var name in Encoding.UTF8.GetString(buf, 0, (int)r).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
        {
            var (len, errno, value) = GetXattr(path, name, 65536, nofollow: true);
            sb.Append(name).Append('=').Append(len < 0 ? ErrName(errno) : Convert.ToHexString(value)).Append(';');
        }
        return sb.Append('}').ToString();
    }

    /// <summary>Every difference between <paramref name="reference"/> and <paramref name="tested"/>, as lines.</summary>
    public static List<string> Compare(TreeSnapshot reference, TreeSnapshot tested)
    {
        var diffs = new List<string>();
        foreach (var (path, want) in reference.Entries)
        {
            if (!tested.Entries.TryGetValue(path, out var got)) diffs.Add($"{path}: missing (reference: {want})");
            else if (got != want) diffs.Add($"{path}: reference [{want}] vs tested [{got}]");
        }
        foreach (var (path, got) in tested.Entries)
            if (!reference.Entries.ContainsKey(path)) diffs.Add($"{path}: extra (tested: {got})");
        foreach (var c in reference.LinkClasses.Except(tested.LinkClasses)) diffs.Add($"hard-link class only in reference: {c}");
        foreach (var c in tested.LinkClasses.Except(reference.LinkClasses)) diffs.Add($"hard-link class only in tested: {c}");
        return diffs;
    }
}
