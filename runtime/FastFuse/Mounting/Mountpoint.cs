using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Mounting;

/// <summary>Checks on a mountpoint before mounting, and what /proc/self/mountinfo says about it.</summary>
internal static unsafe class Mountpoint
{
    /// <summary>
    /// The absolute path of a usable mountpoint and its mode, or a <see cref="MountException"/> saying why not:
    /// missing, not a directory, already mounted, or a stale FUSE mount (cleared when <paramref name="clearStale"/>).
    /// </summary>
    public static (string Path, uint Mode) Check(string path, bool clearStale = true)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new MountException("no mountpoint given");
        string full = System.IO.Path.GetFullPath(path);
        Statx st;
        int r = Libc.Statx(Libc.AT_FDCWD, full, Libc.AT_NO_AUTOMOUNT, 0x7ff, &st);
        if (r < 0)
        {
            int e = Libc.Errno;
            if (e is Errno.ENOTCONN or Errno.ECONNABORTED && clearStale)
            {
                // A FUSE daemon died and left its mount: the kernel answers ENOTCONN, or ECONNABORTED to the requests
                // that were queued in its fuse-uring rings when it died (and after a fusectl abort). Detach it.
                Log.Info($"{full}: stale FUSE mount (transport endpoint is not connected): unmounting it lazily");
                if (Libc.Umount2(full, Libc.MNT_DETACH) < 0 && !RunFusermountUnmount(full, lazy: true))
                    throw new MountException($"{full}: stale FUSE mount that could not be cleared ({Errno.Name(Libc.Errno)}); run fusermount3 -uz {full}");
                return Check(path, clearStale: false);
            }
            throw e switch
            {
                Errno.ENOENT => new MountException($"mountpoint {full} does not exist"),
                Errno.EACCES => new MountException($"mountpoint {full}: permission denied"),
                Errno.ENOTCONN or Errno.ECONNABORTED => new MountException($"mountpoint {full} is a stale FUSE mount ({Errno.Name(e)})"),
                _ => new MountException($"mountpoint {full}: {Errno.Name(e)}"),
            };
        }
        if ((st.Mode & Linux.S_IFMT) != Linux.S_IFDIR)
            throw new MountException($"mountpoint {full} is not a directory");
        if (FindMount(full) is { } existing)
            throw new MountException($"mountpoint {full} is already in use (mounted {existing.FsType}); unmount it first");
        return (full, st.Mode);
    }

    /// <summary>A mount whose mount point is exactly <paramref name="path"/> (the topmost), or null.</summary>
    public static MountInfo? FindMount(string path)
    {
        MountInfo? found = null;
        foreach (var line in ReadMountInfo())
        {
            var m = MountInfo.Parse(line);
            if (m is not null && m.MountPoint == path) found = m;
        }
        return found;
    }

    private static string[] ReadMountInfo()
    {
        try { return File.ReadAllLines("/proc/self/mountinfo"); }
        catch (IOException) { return Array.Empty<string>(); }
    }

    internal static bool RunFusermountUnmount(string path, bool lazy)
    {
        string? fm = Fusermount.Find();
        if (fm is null) return false;
        return Fusermount.Run(fm, lazy ? new[] { "-u", "-z", "--", path } : new[] { "-u", "--", path }, null, out _) == 0;
    }
}

/// <summary>One line of /proc/self/mountinfo.</summary>
internal sealed class MountInfo
{
    public required string MountPoint { get; init; }
    public required uint Major { get; init; }
    public required uint Minor { get; init; }
    public required string FsType { get; init; }
    public required string Source { get; init; }
    /// <summary>The per-mount options (rw/ro, nosuid, noatime, relatime…), not the superblock's.</summary>
    public string Options { get; init; } = "";

    public static MountInfo? Parse(string line)
    {
        // id parent major:minor root mountpoint options [optional...] - fstype source superopts
        var parts = line.Split(' ');
        int dash = Array.IndexOf(parts, "-");
        if (parts.Length < 7 || dash < 6 || dash + 2 >= parts.Length) return null;
        var dev = parts[2].Split(':');
        if (dev.Length != 2 || !uint.TryParse(dev[0], out uint major) || !uint.TryParse(dev[1], out uint minor)) return null;
        return new MountInfo
        {
            MountPoint = Unescape(parts[4]),
            Major = major,
            Minor = minor,
            FsType = parts[dash + 1],
            Source = Unescape(parts[dash + 2]),
            Options = parts[5],
        };
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length + 0 && i + 3 <= s.Length - 1 + 1 &&
                s.Length >= i + 4 && char.IsDigit(s[i + 1]) && char.IsDigit(s[i + 2]) && char.IsDigit(s[i + 3]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
