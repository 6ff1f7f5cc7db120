using System.Collections.Concurrent;
using FastFuse.Api;
using FastFuse.Filesystems.Native;
using FastFuse.Interop;
using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// Access times. The kernel leaves atime on a FUSE inode to the filesystem and applies no mount option to it, so
// what a read through the mount does to atime is what the daemon's own read of the source does: that follows
// the *source's* mount (relatime on a default ext4), whatever the FUSE mount says. While both mounts have the
// same rules that is exactly right and costs nothing (the default: relatime over relatime). When they differ
// (noatime, strictatime, nodiratime or ro on one side only, or after a remount), the descriptor that reads is
// switched to O_NOATIME, so the source's read leaves atime alone, and atime is set here as the FUSE mount's rules
// ask (utimensat UTIME_NOW, after a statx for relatime's test). The daemon may set O_NOATIME as the file's owner
// or as root (CAP_FOWNER); otherwise the source's rules stay. Passthrough reads never reach the daemon: they
// follow the source's mount.
public sealed partial class LoopbackFs
{
    private const int O_NOATIME = 0x40000, F_GETFL = 3, F_SETFL = 4, SysFcntl = 72;

    /// <summary>The atime rules of the source's mount: what the daemon's reads of it do by themselves.</summary>
    private AtimePolicy _sourceAtime = AtimePolicy.Default;
    /// <summary>Open descriptors switched to O_NOATIME (to be switched back if the rules meet again).</summary>
    private readonly ConcurrentDictionary<int, byte> _noAtimeFds = new();
    /// <summary>Its size, read on every READ (ConcurrentDictionary.IsEmpty takes every bucket lock when empty).</summary>
    private int _noAtimeCount;

    private AtimePolicy MountAtime => _connection?.Session?.Atime ?? AtimePolicy.Default;

    private static AtimeMode Effective(in AtimePolicy p, bool directory) => p.MayUpdate(directory) ? p.Mode : AtimeMode.Never;

    /// <summary>A READ or READDIR read <paramref name="fd"/>: apply the FUSE mount's atime rules to it.</summary>
    private void Accessed(int fd, bool directory)
    {
        var mount = MountAtime;
        bool own = Effective(in mount, directory) != Effective(in _sourceAtime, directory);
        // Hot path (same rules, nothing switched): one comparison; the source's read did what ext4 would.
        // Plain read: a stale 0 only delays switching a descriptor back by one read.
        if (!own && _noAtimeCount == 0) return;
        AccessedByRules(fd, directory, in mount, own);
    }

    private unsafe void AccessedByRules(int fd, bool directory, in AtimePolicy mount, bool own)
    {
        if (!own)
        {
            if (_noAtimeFds.TryRemove(fd, out _))
            {
                Interlocked.Decrement(ref _noAtimeCount);
                SetNoAtime(fd, false);
            }
            return;
        }
        if (!_noAtimeFds.ContainsKey(fd) && SetNoAtime(fd, true) && _noAtimeFds.TryAdd(fd, 0)) Interlocked.Increment(ref _noAtimeCount);
        if (!mount.MayUpdate(directory)) return;
        if (mount.Mode == AtimeMode.Relatime)
        {
            if (StatFd(fd, out var st) != 0) return;
            var (nowSec, _) = Clock.RealtimeNow();
            if (!mount.Wants(directory, st.Atime.Sec, st.Atime.Nsec, st.Mtime.Sec, st.Mtime.Nsec, st.Ctime.Sec, st.Ctime.Nsec, nowSec)) return;
        }
        TimeSpec64* ts = stackalloc TimeSpec64[2];
        ts[0] = new TimeSpec64 { Sec = 0, Nsec = Linux.UTIME_NOW };
        ts[1] = new TimeSpec64 { Sec = 0, Nsec = Linux.UTIME_OMIT };
        // Safe: ts and the literal live on this frame. With the daemon's credentials: the reader may have had only
        // read permission, and atime is the filesystem's to keep.
        fixed (byte* empty = "\0"u8)
            UtimensAt(fd, empty, ts, AT_EMPTY_PATH);
    }

    /// <summary>Switch O_NOATIME on <paramref name="fd"/>; false when the daemon may not (neither owner nor root).</summary>
    private static bool SetNoAtime(int fd, bool on)
    {
        long fl = Syscall4(SysFcntl, fd, F_GETFL, 0, 0);
        if (fl < 0) return false;
        long want = on ? fl | O_NOATIME : fl & ~O_NOATIME;
        return want == fl || Syscall4(SysFcntl, fd, F_SETFL, want, 0) == 0;
    }

    /// <summary>A descriptor is closed: forget its O_NOATIME switch (its number will be reused).</summary>
    private void ForgetAtime(int fd)
    {
        if (_noAtimeFds.TryRemove(fd, out _)) Interlocked.Decrement(ref _noAtimeCount);
    }

    /// <summary>The atime rules of the mount holding <paramref name="dirFd"/> (its mountinfo line, by mount id).</summary>
    private static unsafe AtimePolicy SourceAtime(int dirFd)
    {
        const uint STATX_MNT_ID = 0x1000;
        Statx st;
        // Safe: the literal and st live on this frame.
        fixed (byte* empty = "\0"u8)
            if (StatxAt(dirFd, empty, AT_EMPTY_PATH, STATX_MNT_ID, &st) < 0 || (st.Mask & STATX_MNT_ID) == 0) return AtimePolicy.Default;
        string id = st.Spare2[0].ToString(System.Globalization.CultureInfo.InvariantCulture);   // stx_mnt_id
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var f = line.Split(' ');
                if (f.Length > 5 && f[0] == id) return AtimePolicy.FromMountinfoOptions(f[5]);
            }
        }
        catch (IOException) { }
        return AtimePolicy.Default;
    }
}
