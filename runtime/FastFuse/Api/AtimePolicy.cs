namespace FastFuse.Api;

/// <summary>How a mount's access times are kept: the per-mount options relatime (the kernel's default),
/// strictatime and noatime.</summary>
public enum AtimeMode : byte
{
    /// <summary>relatime (the kernel's default): a read updates atime when it is older than mtime or ctime, or a day
    /// old.</summary>
    Relatime = 0,
    /// <summary>strictatime: every read updates atime.</summary>
    Strict = 1,
    /// <summary>noatime: reads never update atime.</summary>
    Never = 2,
}

/// <summary>
/// The atime rules of the mount a session serves, as the kernel applies them to a local filesystem
/// (fs/inode.c atime_needs_update and relatime_need_update). The kernel leaves atime on a FUSE inode to the
/// filesystem (FUSE inodes are S_NOATIME), so a filesystem that keeps atime asks this on each read of a file or
/// directory: <see cref="Session.FuseSession.Atime"/> follows the mount's options, remounts included.
/// </summary>
/// <param name="Mode">relatime, strictatime or noatime.</param>
/// <param name="NoDirAtime">nodiratime: reads of directories never update atime.</param>
/// <param name="ReadOnly">The mount is read-only: nothing updates atime.</param>
public readonly record struct AtimePolicy(AtimeMode Mode, bool NoDirAtime, bool ReadOnly)
{
    /// <summary>relatime's other reason to update: the old atime is a day old or more.</summary>
    public const long RelatimeWindowSec = 24 * 3600;

    /// <summary>The policy of a read-write mount with no atime options: relatime.</summary>
    public static AtimePolicy Default => new(AtimeMode.Relatime, false, false);

    /// <summary>Whether a read now of a node with these times changes its atime.</summary>
    public bool Wants(bool directory, long atimeSec, uint atimeNsec, long mtimeSec, uint mtimeNsec, long ctimeSec, uint ctimeNsec, long nowSec)
    {
        if (ReadOnly || Mode == AtimeMode.Never || (directory && NoDirAtime)) return false;
        if (Mode == AtimeMode.Strict) return true;
        return !After(atimeSec, atimeNsec, mtimeSec, mtimeNsec) || !After(atimeSec, atimeNsec, ctimeSec, ctimeNsec) ||
               nowSec - atimeSec >= RelatimeWindowSec;
    }

    /// <summary>Whether any read may change an atime under this policy (false: skip looking at the times).</summary>
    public bool MayUpdate(bool directory) => !ReadOnly && Mode != AtimeMode.Never && !(directory && NoDirAtime);

    private static bool After(long aSec, uint aNsec, long bSec, uint bNsec) => aSec > bSec || (aSec == bSec && aNsec > bNsec);

    /// <summary>The policy mount(2) makes of these MS_* flags (fs/namespace.c path_mount): relatime unless noatime,
    /// and strictatime over both.</summary>
    public static AtimePolicy FromMountFlags(ulong msFlags)
    {
        var mode = (msFlags & Interop.Libc.MS_STRICTATIME) != 0 ? AtimeMode.Strict :
                   (msFlags & Interop.Libc.MS_NOATIME) != 0 ? AtimeMode.Never : AtimeMode.Relatime;
        return new(mode, (msFlags & Interop.Libc.MS_NODIRATIME) != 0, (msFlags & Interop.Libc.MS_RDONLY) != 0);
    }

    /// <summary>The policy of a mount whose per-mount options (mountinfo's sixth field) are <paramref name="options"/>:
    /// the kernel shows noatime, nodiratime and relatime; strictatime is the absence of both noatime and relatime.</summary>
    public static AtimePolicy FromMountinfoOptions(string options)
    {
        bool noatime = false, relatime = false, nodiratime = false, ro = false;
        foreach (var o in options.Split(','))
        {
            switch (o)
            {
                case "noatime": noatime = true; break;
                case "relatime": relatime = true; break;
                case "nodiratime": nodiratime = true; break;
                case "ro": ro = true; break;
            }
        }
        var mode = noatime ? AtimeMode.Never : relatime ? AtimeMode.Relatime : AtimeMode.Strict;
        return new(mode, nodiratime, ro);
    }

    internal int Pack() => (int)Mode | (NoDirAtime ? 4 : 0) | (ReadOnly ? 8 : 0);
    internal static AtimePolicy Unpack(int bits) => new((AtimeMode)(bits & 3), (bits & 4) != 0, (bits & 8) != 0);

    /// <summary>The mount options this policy stands for ("relatime", "ro noatime,nodiratime"…).</summary>
    public override string ToString() =>
        (ReadOnly ? "ro " : "") + Mode switch { AtimeMode.Strict => "strictatime", AtimeMode.Never => "noatime", _ => "relatime" } +
        (NoDirAtime ? ",nodiratime" : "");
}
