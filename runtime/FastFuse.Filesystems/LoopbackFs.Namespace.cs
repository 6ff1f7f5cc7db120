using System.Collections.Concurrent;
using FastFuse.Api;
using FastFuse.Filesystems.Native;
using FastFuse.Inodes;
using Statx = FastFuse.Interop.Statx;
using FastFuse.Kernel;
using static FastFuse.Filesystems.Native.LoopSys;

namespace FastFuse.Filesystems;

// The namespace: MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR, RENAME, as the caller on the source.
public sealed partial class LoopbackFs
{
    // ---------------------------------------------------------------- namespace

    public unsafe int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry)
    {
        int err = CheckName(name);
        if (err != 0 || (err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        uint m = (mode & Linux.S_IFMT) | (mode & PermMask & ~umask);
        using (Become(in ctx))
        {
            // Safe: the NUL-terminated name lives on this frame.
            fixed (byte* cname = CString(name, buf))
                if (MknodAt(p.Fd, cname, m, DecodeDev(rdev)) < 0) return LoopSys.LastErrno();
            return LookupAt(p.Fd, name, ref entry);
        }
    }

    public unsafe int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry)
    {
        int err = CheckName(name);
        if (err != 0 || (err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        using (Become(in ctx))
        {
            // Safe: the NUL-terminated name lives on this frame.
            fixed (byte* cname = CString(name, buf))
                if (MkdirAt(p.Fd, cname, mode & PermMask & ~umask) < 0) return LoopSys.LastErrno();
            return LookupAt(p.Fd, name, ref entry);
        }
    }

    public unsafe int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry)
    {
        int err = CheckName(name);
        if (err != 0 || (err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        if (target.Length >= PathMax) return Errno.ENAMETOOLONG;
        if (target.IndexOf((byte)0) >= 0) return Errno.EINVAL;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        Span<byte> tbuf = stackalloc byte[PathMax];
        using (Become(in ctx))
        {
            // Safe: both NUL-terminated strings live on this frame. The target is stored, never resolved.
            fixed (byte* cname = CString(name, buf))
            fixed (byte* ctarget = CString(target, tbuf))
                if (SymlinkAt(ctarget, p.Fd, cname) < 0) return LoopSys.LastErrno();
            return LookupAt(p.Fd, name, ref entry);
        }
    }

    public unsafe int Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry)
    {
        int err = CheckName(newName);
        if (err != 0 || (err = Pin(nodeId, out var n)) != 0) return err;
        using var _pin = n;
        if ((err = Pin(newParent, out var p)) != 0) return err;
        using var _pin2 = p;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        Span<byte> proc = stackalloc byte[32];
        ProcPath(n.Fd, proc);
        using (Become(in ctx))
        {
            // Safe: every string lives on this frame.
            fixed (byte* cname = CString(newName, buf))
            fixed (byte* empty = "\0"u8)
            fixed (byte* path = proc)
            {
                // linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which only a root caller keeps; the
                // /proc/self/fd magic link with AT_SYMLINK_FOLLOW links the same inode (a symlink too) for anyone.
                int r = ctx.Uid == 0 ? LinkAt(n.Fd, empty, p.Fd, cname, AT_EMPTY_PATH) : -1;
                if (r < 0) r = LinkAt(AT_FDCWD, path, p.Fd, cname, AT_SYMLINK_FOLLOW);
                if (r < 0) return LoopSys.LastErrno();
            }
            return LookupAt(p.Fd, newName, ref entry);
        }
    }

    public int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Remove(in ctx, parent, name, 0);

    public int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name) => Remove(in ctx, parent, name, AT_REMOVEDIR);

    private unsafe int Remove(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, int flags)
    {
        int err = CheckName(name);
        if (err != 0 || (err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        using (Become(in ctx))
        {
            // Safe: the NUL-terminated name lives on this frame.
            fixed (byte* cname = CString(name, buf))
                return UnlinkAt(p.Fd, cname, flags) < 0 ? LoopSys.LastErrno() : Status.Ok;
        }
    }

    public unsafe int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        int err = CheckName(name);
        if (err != 0 || (err = CheckName(newName)) != 0) return err;
        if ((err = Pin(parent, out var p)) != 0) return err;
        using var _pin = p;
        if ((err = Pin(newParent, out var np)) != 0) return err;
        using var _pin2 = np;
        Span<byte> a = stackalloc byte[NameMax + 1];
        Span<byte> b = stackalloc byte[NameMax + 1];
        using (Become(in ctx))
        {
            // Safe: both NUL-terminated names live on this frame.
            fixed (byte* ca = CString(name, a))
            fixed (byte* cb = CString(newName, b))
                return RenameAt2(p.Fd, ca, np.Fd, cb, flags) < 0 ? LoopSys.LastErrno() : Status.Ok;
        }
    }
}
