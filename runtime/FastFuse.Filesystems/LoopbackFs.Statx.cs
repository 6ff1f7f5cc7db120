using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// STATX: what GETATTR cannot carry (the birth time), read from the source with statx(2). The kernel asks for it when a
// caller's statx wants btime; GETATTR answers everything else.
public sealed partial class LoopbackFs
{
    private const uint STATX_BTIME = 0x800;
    private const int AT_STATX_SYNC_TYPE = 0x6000;   // AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC

    public unsafe int Statx(in RequestContext ctx, ulong nodeId, ulong? fh, uint flags, uint mask, ref FuseStatxOut statx)
    {
        int sync = (int)flags & AT_STATX_SYNC_TYPE, err;
        Statx st;
        if (fh is ulong open)
        {
            err = StatFd((int)open, STATX_BASIC_STATS | STATX_BTIME, sync, out st);
        }
        else
        {
            if ((err = Pin(nodeId, out var n)) != 0) return err;
            using var _pin = n;
            err = StatFd(n.Fd, STATX_BASIC_STATS | STATX_BTIME, sync, out st);
        }
        if (err != 0) return err;
        statx.AttrValid = _attrSec;
        statx.AttrValidNsec = _attrNsec;
        ref var x = ref statx.Stat;
        // Only what was asked and what FUSE carries: a source without btime (tmpfs before 6.x, some network
        // filesystems) leaves STATX_BTIME out of its mask, and so do we.
        x.Mask = st.Mask & (STATX_BASIC_STATS | STATX_BTIME);
        x.Blksize = st.Blksize;
        x.Nlink = st.Nlink;
        x.Uid = st.Uid;
        x.Gid = st.Gid;
        x.Mode = st.Mode;
        x.Ino = st.Ino;
        x.Size = st.Size;
        x.Blocks = st.Blocks;
        x.Atime = Sx(in st.Atime);
        x.Btime = Sx(in st.Btime);
        x.Ctime = Sx(in st.Ctime);
        x.Mtime = Sx(in st.Mtime);
        x.RdevMajor = st.RdevMajor;
        x.RdevMinor = st.RdevMinor;
        return Status.Ok;
    }

    private static FuseSxTime Sx(in StatxTimestamp t) => new() { TvSec = t.Sec, TvNsec = t.Nsec };

    private static unsafe int StatFd(int fd, uint mask, int syncFlags, out Statx st)
    {
        Statx s;
        // Safe: the literal and the local s live for the whole call ("\0"u8: an empty C string, never null).
        fixed (byte* empty = "\0"u8)
        {
            if (StatxAt(fd, empty, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | syncFlags, mask, &s) < 0)
            {
                st = default;
                return LastErrno();
            }
        }
        st = s;
        return Status.Ok;
    }
}
