using FastFuse.Mounting;

namespace FastFuse.Cli;

/// <summary>
/// fastfuse as mount(8)'s helper for <c>-t fuse.fastfuse</c>: mount(8) runs /sbin/mount.fuse.fastfuse (a link to
/// this binary) as <c>mount.fuse.fastfuse SOURCE MOUNTPOINT [-n] [-v] [-f] [-o OPTIONS] [-t TYPE]</c>, SOURCE being
/// what the command takes as its filesystem (memfs, hello, loopback:DIR, zip:ARCHIVE). This turns that into the command's own
/// arguments. mount(8)'s own options (noauto, nofail, _netdev, user…) mean something to mount(8), which has acted
/// on them already, and are dropped here, as mount.fuse3 drops them; everything else goes to the command, which
/// refuses what it does not know.
/// </summary>
internal static class MountHelper
{
    /// <summary>The program name that makes fastfuse a helper: mount.fuse.NAME (any NAME, e.g. mount.fuse.fastfuse).</summary>
    public const string NamePrefix = "mount.fuse.";

    private static readonly string[] MountOnly =
        { "defaults", "auto", "noauto", "user", "nouser", "users", "owner", "group", "nofail", "_netdev" };

    public static bool IsHelperName(string argv0) => Path.GetFileName(argv0).StartsWith(NamePrefix, StringComparison.Ordinal);

    /// <summary>The command's arguments for a helper call; <paramref name="fake"/>: mount(8)'s -f (check, mount nothing).</summary>
    public static string[] Translate(string[] args, out bool fake)
    {
        fake = false;
        var positional = new List<string>();
        var options = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-n": break;          // "do not write /etc/mtab": FastFuse never does
                case "-v": break;          // mount(8)'s verbose mode: mount(8) prints what it mounted
                case "-f": fake = true; break;
                case "-o":
                    if (++i >= args.Length) throw new MountException("-o needs an option list");
                    options.AddRange(Keep(args[i]));
                    break;
                case "-t":
                    if (++i >= args.Length) throw new MountException("-t needs a type");
                    if (args[i] != "fuse" && !args[i].StartsWith("fuse.", StringComparison.Ordinal))
                        throw new MountException($"type '{args[i]}' is not a FUSE type (fuse or fuse.NAME)");
                    break;
                case "-s":
                    throw new MountException("-s (sloppy: ignore unknown options) is not supported: every option given must mean something");
                default:
                    if (args[i].StartsWith('-')) throw new MountException($"unknown mount helper option '{args[i]}'");
                    positional.Add(args[i]);
                    break;
            }
        }
        if (positional.Count != 2)
            throw new MountException($"usage: {NamePrefix}fastfuse SOURCE MOUNTPOINT [-o OPTIONS] (SOURCE: memfs, hello, loopback:DIR or zip:ARCHIVE)");
        var result = new List<string> { positional[0], positional[1] };
        if (options.Count > 0) { result.Add("-o"); result.Add(string.Join(',', options)); }
        return result.ToArray();
    }

    /// <summary>The options of one -o list that are not mount(8)'s own (x-* and comment= are mount(8)'s too).</summary>
    private static IEnumerable<string> Keep(string list)
    {
        // Split as MountOptions does: a backslash escapes a comma, and stays, for MountOptions to read again.
        var item = new System.Text.StringBuilder();
        for (int i = 0; i <= list.Length; i++)
        {
            if (i < list.Length && list[i] == '\\' && i + 1 < list.Length) { item.Append(list[i]).Append(list[++i]); continue; }
            if (i < list.Length && list[i] != ',') { item.Append(list[i]); continue; }
            string opt = item.ToString();
            item.Clear();
            if (opt.Length == 0 || Array.IndexOf(MountOnly, opt) >= 0 || opt.StartsWith("x-", StringComparison.Ordinal) ||
                opt.StartsWith("comment=", StringComparison.Ordinal)) continue;
            yield return opt;
        }
    }
}
