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
internal sealed unsafe partial class NativeFileSystem : IRawFileSystem
{
    private const int NameRoom = 256;   // NAME_MAX + NUL: every name the dispatcher accepts fits
    private const int PathRoom = 4096;  // PATH_MAX: symlink targets

    private readonly NativeOps _ops;
    private readonly void* _ud;

    /// <summary>-o writeback_cache: FUSE_WRITEBACK_CACHE is asked for at INIT (when offered) before the init callback
    /// runs, which sees it in conn->want and may take it out again.</summary>
    public bool WantWritebackCache { get; init; }

    /// <summary>The <c>fastfuse_session*</c> this filesystem serves (for fastfuse_req_session); set once mounted.</summary>
    public nint Handle;

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
        if (WantWritebackCache && c.Offered.HasFlag(InitFlags.WritebackCache)) c.Want |= InitFlags.WritebackCache;
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
        c.Req = Begin(in ctx, ReplyTarget.Status);
        return Done(c.Req, f(_ud, &c, nodeId, mask), in ctx);
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
}
