using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

[module: SkipLocalsInit]

namespace FastFuse.Native;

/// <summary>
/// An <see cref="IRawFileSystem"/> whose handlers are C callbacks (<c>struct fastfuse_ops</c>). Each method
/// builds a <c>fastfuse_ctx</c> on the stack, hands the C side pointers into the worker's pinned reply buffer,
/// and turns the libfuse-style negative errno into the runtime's positive one. No allocation per request:
/// names are copied (to add their NUL) into a stack buffer.
/// </summary>
internal sealed unsafe class NativeFileSystem : IRawFileSystem
{
    private const int NameRoom = 256;   // NAME_MAX + NUL: every name the dispatcher accepts fits
    private const int PathRoom = 4096;  // PATH_MAX: symlink targets

    private readonly NativeOps _ops;
    private readonly void* _ud;

    /// <param name="ops">The caller's table; <paramref name="size"/> bytes of it are copied, the rest stays null.</param>
    public NativeFileSystem(NativeOps* ops, nuint size, void* userdata)
    {
        NativeOps copy = default;
        Buffer.MemoryCopy(ops, &copy, sizeof(NativeOps), (long)Math.Min(size, (nuint)sizeof(NativeOps)));
        _ops = copy;
        _ud = userdata;
    }

    /// <summary>libfuse convention (0 or -errno) → the runtime's (0 or errno). Anything else is the callback's bug: EIO.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Result(int r) => r == 0 ? 0 : r < 0 && r > -4096 ? -r : Errno.EIO;

    /// <summary>The name followed by a NUL, in <paramref name="room"/> (a stack buffer) when it fits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<byte> CString(ReadOnlySpan<byte> s, Span<byte> room)
    {
        if (s.Length >= room.Length) room = new byte[s.Length + 1];
        s.CopyTo(room);
        room[s.Length] = 0;
        return room;
    }

    /// <summary>Take this request's token (<c>ctx-&gt;req</c>) with the out arguments an inline reply writes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint Begin(in RequestContext ctx, ReplyTarget kind, void* out1 = null, int cap = 0, void* out2 = null, uint requested = 0) =>
        NativeRequests.Begin(this, in ctx, kind, out1, cap, out2, requested);

    /// <summary>The callback returned <paramref name="r"/>: its result, or the reply it made, or Deferred.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Done(nint req, int r, in RequestContext ctx)
    {
        int s = NativeRequests.End(req, r, in ctx, out _);
        return s == NativeRequests.NotReplied ? Result(r) : s;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------

    public void Init(FuseConnection c)
    {
        var f = _ops.Init;
        if (f == null) return;
        NativeConn n = default;
        n.ProtoMajor = c.KernelMajor;
        n.ProtoMinor = c.Minor;
        n.Capable = (ulong)c.Offered;
        n.Want = (ulong)c.Want;
        n.MaxWrite = c.MaxWrite;
        n.MaxReadahead = c.MaxReadahead;
        n.MaxBackground = c.MaxBackground;
        n.CongestionThreshold = c.CongestionThreshold;
        n.TimeGran = c.TimeGran;
        n.MaxStackDepth = c.MaxStackDepth;
        f(_ud, &n);
        c.Want = (InitFlags)n.Want;
        c.MaxWrite = n.MaxWrite;
        c.MaxReadahead = n.MaxReadahead;
        c.MaxBackground = (ushort)Math.Min(n.MaxBackground, ushort.MaxValue);
        c.CongestionThreshold = (ushort)Math.Min(n.CongestionThreshold, ushort.MaxValue);
        c.TimeGran = n.TimeGran;
        c.MaxStackDepth = n.MaxStackDepth;
    }

    /// <summary>The session ended: requests still waiting for a reply are answered EIO first (their tokens die), then
    /// the C destroy callback runs.</summary>
    public void Destroy()
    {
        NativeRequests.AbandonAll(this);
        var f = _ops.Destroy;
        if (f != null) f(_ud);
    }

    public void Forget(ulong nodeId, ulong nlookup)
    {
        var f = _ops.Forget;
        if (f != null) f(_ud, nodeId, nlookup);
    }

    // ---- names --------------------------------------------------------------------------------------------

    public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
    {
        var f = _ops.Lookup;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (FuseEntryOut* e = &entry)
            {
                c.Req = Begin(in ctx, ReplyTarget.Entry, e, sizeof(FuseEntryOut));
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, e), in ctx);
            }
    }

    public int Mknod(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, ref FuseEntryOut entry)
    {
        var f = _ops.Mknod;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx, umask);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (FuseEntryOut* e = &entry)
            {
                c.Req = Begin(in ctx, ReplyTarget.Entry, e, sizeof(FuseEntryOut));
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, mode, rdev, e), in ctx);
            }
    }

    public int Mkdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, ref FuseEntryOut entry)
    {
        var f = _ops.Mkdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx, umask);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (FuseEntryOut* e = &entry)
            {
                c.Req = Begin(in ctx, ReplyTarget.Entry, e, sizeof(FuseEntryOut));
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, mode, e), in ctx);
            }
    }

    public int Unlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name)
    {
        var f = _ops.Unlink;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length), in ctx);
            }
    }

    public int Rmdir(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name)
    {
        var f = _ops.Rmdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length), in ctx);
            }
    }

    public int Symlink(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, ref FuseEntryOut entry)
    {
        var f = _ops.Symlink;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (byte* t = CString(target, stackalloc byte[PathRoom]))
        fixed (FuseEntryOut* e = &entry)
            {
                c.Req = Begin(in ctx, ReplyTarget.Entry, e, sizeof(FuseEntryOut));
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, t, (nuint)target.Length, e), in ctx);
            }
    }

    public int Rename(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        var f = _ops.Rename;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (byte* nn = CString(newName, stackalloc byte[NameRoom]))
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, newParent, nn, (nuint)newName.Length, flags), in ctx);
            }
    }

    public int Link(in RequestContext ctx, ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, ref FuseEntryOut entry)
    {
        var f = _ops.Link;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(newName, stackalloc byte[NameRoom]))
        fixed (FuseEntryOut* e = &entry)
            {
                c.Req = Begin(in ctx, ReplyTarget.Entry, e, sizeof(FuseEntryOut));
                return Done(c.Req, f(_ud, &c, nodeId, newParent, n, (nuint)newName.Length, e), in ctx);
            }
    }

    public int Create(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, uint mode, int flags, uint umask, ref FuseEntryOut entry, ref FuseOpenOut open)
    {
        var f = _ops.Create;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx, umask);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (FuseEntryOut* e = &entry)
        fixed (FuseOpenOut* o = &open)
            {
                c.Req = Begin(in ctx, ReplyTarget.Create, e, sizeof(FuseEntryOut), o);
                return Done(c.Req, f(_ud, &c, parent, n, (nuint)name.Length, mode, flags, e, o), in ctx);
            }
    }

    // ---- attributes ---------------------------------------------------------------------------------------

    public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
    {
        var f = _ops.Getattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseAttrOut* a = &attr)
            {
                c.Req = Begin(in ctx, ReplyTarget.Attr, a, sizeof(FuseAttrOut));
                return Done(c.Req, f(_ud, &c, nodeId, fh.GetValueOrDefault(), fh.HasValue ? 1 : 0, a), in ctx);
            }
    }

    public int Setattr(in RequestContext ctx, ulong nodeId, in FuseSetattrIn changes, ref FuseAttrOut attr)
    {
        var f = _ops.Setattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseSetattrIn* i = &changes)
        fixed (FuseAttrOut* a = &attr)
            {
                c.Req = Begin(in ctx, ReplyTarget.Attr, a, sizeof(FuseAttrOut));
                return Done(c.Req, f(_ud, &c, nodeId, i, a), in ctx);
            }
    }

    public int Readlink(in RequestContext ctx, ulong nodeId, ref DataReply target)
    {
        var f = _ops.Readlink;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        int room = target.Remaining;
        var space = target.Reserve(room);
        room = space.Length;
        // Safe: space is the worker's pinned reply buffer, valid for this request; C writes at most room bytes.
        byte* buf = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(space));
        nuint len = nuint.MaxValue; // untouched: the target is the NUL-terminated string in buf
        c.Req = Begin(in ctx, ReplyTarget.Data, buf, room, requested: (uint)room);
        int raw = f(_ud, &c, nodeId, buf, (nuint)room, &len);
        int s = NativeRequests.End(c.Req, raw, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            if (s == 0) target.Commit(inline.Len);
            return s;
        }
        int r = Result(raw);
        if (r != 0) return r;
        int n = len == nuint.MaxValue ? new ReadOnlySpan<byte>(buf, room).IndexOf((byte)0) : (int)Math.Min(len, (nuint)room);
        if (n < 0) n = room;
        target.Commit(n);
        return 0;
    }

    public int Access(in RequestContext ctx, ulong nodeId, int mask)
    {
        var f = _ops.Access;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, mask), in ctx);
        }
    }

    public int Statfs(in RequestContext ctx, ulong nodeId, ref FuseStatfsOut statfs)
    {
        var f = _ops.Statfs;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseStatfsOut* s = &statfs)
            {
                c.Req = Begin(in ctx, ReplyTarget.Statfs, s, sizeof(FuseStatfsOut));
                return Done(c.Req, f(_ud, &c, nodeId, s), in ctx);
            }
    }

    // ---- files --------------------------------------------------------------------------------------------

    public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        var f = _ops.Open;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseOpenOut* o = &open)
            {
                c.Req = Begin(in ctx, ReplyTarget.Open, o, sizeof(FuseOpenOut));
                return Done(c.Req, f(_ud, &c, nodeId, flags, o), in ctx);
            }
    }

    /// <summary>
    /// The C callback writes straight into the worker's pinned reply buffer (<see cref="DataReply.Reserve"/>), and
    /// the bytes it says it wrote are committed without a copy (<see cref="DataReply.Commit"/>).
    /// </summary>
    public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
    {
        var f = _ops.Read;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        var space = data.Reserve(size);
        int room = space.Length;
        // Safe: space is the worker's pinned reply buffer, valid for this request; C writes at most room bytes.
        byte* buf = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(space));
        nuint len = 0;
        c.Req = Begin(in ctx, ReplyTarget.Data, buf, room, requested: (uint)data.Limit);
        int raw = f(_ud, &c, nodeId, fh, offset, (nuint)room, buf, &len);
        int s = NativeRequests.End(c.Req, raw, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            if (s != 0) return s;
            if (inline.Fd >= 0) data.AppendFile(inline.Fd, inline.FdOff, inline.Len);   // spliced by the worker
            else data.Commit(inline.Len);
            return 0;
        }
        int r = Result(raw);
        if (r != 0) return r;
        if (len > (nuint)room) return Errno.EIO; // the callback claims more than the room it was given: refuse to send it
        data.Commit((int)len);
        return 0;
    }

    public int Write(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ReadOnlySpan<byte> data, uint writeFlags, int openFlags, out uint written)
    {
        written = 0;
        var f = _ops.Write;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        uint w = 0;
        int r;
        c.Req = Begin(in ctx, ReplyTarget.Write, requested: (uint)data.Length);
        fixed (byte* d = data)
            r = f(_ud, &c, nodeId, fh, offset, d, (nuint)data.Length, writeFlags, &w);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            written = (uint)inline.Value;
            return s;
        }
        written = w;
        return Result(r);
    }

    public int Release(in RequestContext ctx, ulong nodeId, ulong fh, int flags, uint releaseFlags, ulong lockOwner)
    {
        var f = _ops.Release;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, flags, releaseFlags, lockOwner), in ctx);
        }
    }

    public int Flush(in RequestContext ctx, ulong nodeId, ulong fh, ulong lockOwner)
    {
        var f = _ops.Flush;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, lockOwner), in ctx);
        }
    }

    public int Fsync(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync)
    {
        var f = _ops.Fsync;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, dataSync ? 1 : 0), in ctx);
        }
    }

    public int Fallocate(in RequestContext ctx, ulong nodeId, ulong fh, long offset, long length, int mode)
    {
        var f = _ops.Fallocate;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, offset, length, mode), in ctx);
        }
    }

    public int Lseek(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int whence, out long result)
    {
        result = 0;
        var f = _ops.Lseek;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        long res = 0;
        c.Req = Begin(in ctx, ReplyTarget.Lseek);
        int r = f(_ud, &c, nodeId, fh, offset, whence, &res);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            result = inline.Value;
            return s;
        }
        result = res;
        return Result(r);
    }

    public int CopyFileRange(in RequestContext ctx, ulong nodeIn, ulong fhIn, long offsetIn, ulong nodeOut, ulong fhOut, long offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        var f = _ops.CopyFileRange;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        ulong n = 0;
        c.Req = Begin(in ctx, ReplyTarget.Write);
        int r = f(_ud, &c, nodeIn, fhIn, offsetIn, nodeOut, fhOut, offsetOut, length, flags, &n);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        if (s != NativeRequests.NotReplied)
        {
            copied = (ulong)inline.Value;
            return s;
        }
        copied = n;
        return Result(r);
    }

    public int Getlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, ref FuseLkOut result)
    {
        var f = _ops.Getlk;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseLkIn* i = &lk)
        fixed (FuseLkOut* o = &result)
            {
                c.Req = Begin(in ctx, ReplyTarget.Lock, o, sizeof(FuseLkOut));
                return Done(c.Req, f(_ud, &c, nodeId, i, o), in ctx);
            }
    }

    public int Setlk(in RequestContext ctx, ulong nodeId, in FuseLkIn lk, bool wait)
    {
        var f = _ops.Setlk;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (FuseLkIn* i = &lk)
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, i, wait ? 1 : 0), in ctx);
            }
    }

    public int Bmap(in RequestContext ctx, ulong nodeId, uint blockSize, ref ulong block)
    {
        var f = _ops.Bmap;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        ulong bl = block;
        c.Req = Begin(in ctx, ReplyTarget.Bmap);
        int r = f(_ud, &c, nodeId, blockSize, &bl);
        int s = NativeRequests.End(c.Req, r, in ctx, out var inline);
        block = s != NativeRequests.NotReplied ? (ulong)inline.Value : bl;
        return s != NativeRequests.NotReplied ? s : Result(r);
    }

    public int Syncfs(in RequestContext ctx, ulong nodeId)
    {
        var f = _ops.Syncfs;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId), in ctx);
        }
    }

    // ---- extended attributes ------------------------------------------------------------------------------

    public int Setxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        var f = _ops.Setxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (byte* v = value)
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, n, (nuint)name.Length, v, (nuint)value.Length, flags), in ctx);
            }
    }

    public int Getxattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name, ref XattrReply value)
    {
        var f = _ops.Getxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
        fixed (XattrReply* x = &value)
        {
            if (value.IsSizeProbe)
            {
                nuint need = 0;
                c.Req = Begin(in ctx, ReplyTarget.Xattr, x);
                int raw = f(_ud, &c, nodeId, n, (nuint)name.Length, null, 0, &need);
                return Probed(c.Req, raw, in ctx, ref value, need);
            }
            var room = value.Reserve((int)Math.Min(value.RequestedSize, int.MaxValue), out int err);
            if (err != 0) return err;
            nuint len = 0;
            c.Req = Begin(in ctx, ReplyTarget.Xattr, x, requested: value.RequestedSize);
            int raw2;
            fixed (byte* b = room)
                raw2 = f(_ud, &c, nodeId, n, (nuint)name.Length, b, (nuint)room.Length, &len);
            return Filled(c.Req, raw2, in ctx, ref value, len);
        }
    }

    public int Listxattr(in RequestContext ctx, ulong nodeId, ref XattrReply names)
    {
        var f = _ops.Listxattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (XattrReply* x = &names)
        {
            if (names.IsSizeProbe)
            {
                nuint need = 0;
                c.Req = Begin(in ctx, ReplyTarget.Xattr, x);
                int raw = f(_ud, &c, nodeId, null, 0, &need);
                return Probed(c.Req, raw, in ctx, ref names, need);
            }
            var room = names.Reserve((int)Math.Min(names.RequestedSize, int.MaxValue), out int err);
            if (err != 0) return err;
            nuint len = 0;
            c.Req = Begin(in ctx, ReplyTarget.Xattr, x, requested: names.RequestedSize);
            int raw2;
            fixed (byte* b = room)
                raw2 = f(_ud, &c, nodeId, b, (nuint)room.Length, &len);
            return Filled(c.Req, raw2, in ctx, ref names, len);
        }
    }

    /// <summary>A size query answered: by a reply (already in the XattrReply), or by the callback's *len.</summary>
    private static int Probed(nint req, int raw, in RequestContext ctx, ref XattrReply reply, nuint need)
    {
        int s = NativeRequests.End(req, raw, in ctx, out _);
        if (s != NativeRequests.NotReplied) return s;
        int r = Result(raw);
        return r != 0 ? r : SetProbe(ref reply, need);
    }

    /// <summary>A value answered: by a reply (already in the XattrReply), or written in place with its length.</summary>
    private static int Filled(nint req, int raw, in RequestContext ctx, ref XattrReply reply, nuint len)
    {
        int s = NativeRequests.End(req, raw, in ctx, out _);
        if (s != NativeRequests.NotReplied) return s;
        int r = Result(raw);
        return r != 0 ? r : Commit(ref reply, len);
    }

    private static int SetProbe(ref XattrReply reply, nuint need)
    {
        if (need > int.MaxValue) return Errno.E2BIG;
        reply.Reserve((int)need, out _);
        return 0;
    }

    /// <summary>The callback wrote <paramref name="len"/> bytes at the start of the reserved room: keep just those.</summary>
    private static int Commit(ref XattrReply reply, nuint len)
    {
        if (len > reply.RequestedSize) return Errno.ERANGE;
        reply.Reserve((int)len, out int err);
        return err;
    }

    public int Removexattr(in RequestContext ctx, ulong nodeId, ReadOnlySpan<byte> name)
    {
        var f = _ops.Removexattr;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (byte* n = CString(name, stackalloc byte[NameRoom]))
            {
                c.Req = Begin(in ctx, ReplyTarget.Status);
                return Done(c.Req, f(_ud, &c, nodeId, n, (nuint)name.Length), in ctx);
            }
    }

    // ---- directories --------------------------------------------------------------------------------------

    public int Opendir(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open)
    {
        var f = _ops.Opendir;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        fixed (FuseOpenOut* o = &open)
            {
                c.Req = Begin(in ctx, ReplyTarget.Open, o, sizeof(FuseOpenOut));
                return Done(c.Req, f(_ud, &c, nodeId, flags, o), in ctx);
            }
    }

    /// <summary>The C side gets the address of the reply (a ref struct, so it lives on this worker's stack for the
    /// call) as its opaque <c>fastfuse_dirbuf*</c> and packs entries through <c>fastfuse_dir_add*</c>.</summary>
    public int Readdir(in RequestContext ctx, ulong nodeId, ulong fh, long offset, ref DirectoryReply entries)
    {
        var f = _ops.Readdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        fixed (DirectoryReply* db = &entries)
            {
                c.Req = Begin(in ctx, ReplyTarget.Dir, (byte*)db, 0, null, (uint)db->Capacity);
                return Done(c.Req, f(_ud, &c, nodeId, fh, offset, db), in ctx);
            }
    }

    public int Releasedir(in RequestContext ctx, ulong nodeId, ulong fh, int flags)
    {
        var f = _ops.Releasedir;
        if (f == null) return Status.Ok;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, flags), in ctx);
        }
    }

    public int Fsyncdir(in RequestContext ctx, ulong nodeId, ulong fh, bool dataSync)
    {
        var f = _ops.Fsyncdir;
        if (f == null) return Errno.ENOSYS;
        var c = new NativeCtx(in ctx);
        {
            c.Req = Begin(in ctx, ReplyTarget.Status);
            return Done(c.Req, f(_ud, &c, nodeId, fh, dataSync ? 1 : 0), in ctx);
        }
    }
}
