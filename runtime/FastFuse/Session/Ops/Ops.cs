using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

/// <summary>
/// The opcode handlers, one small static method per opcode, grouped by concern (Ops.Entries.cs, Ops.Attr.cs, …);
/// each group adds its rows to the dispatch table itself, so an opcode's row and its handler sit side by side.
/// A handler decodes the op struct and payload of its slot, calls the filesystem with reply structs that live in
/// the slot's pinned reply memory, and returns 0, an errno, <see cref="Dispatcher.NoReply"/> or
/// <see cref="Status.Deferred"/>.
/// </summary>
internal static unsafe partial class Ops
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IRawFileSystem Fs(RequestSlot s) => s.Session.FileSystem;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(OpRow[] t, Opcode op, int opSize, int minPayload, ReplyKind reply, int replySize, byte names,
        delegate*<RequestSlot, in RequestContext, int> handler, delegate*<RequestSlot, System.Text.StringBuilder, void> format = null,
        int compatOpSize = 0) =>
        t[(int)op] = new OpRow(op, opSize, minPayload, reply, replySize, names, handler, format, compatOpSize);

    /// <summary>
    /// Split a NUL-terminated file name off the front of <paramref name="rest"/>. Returns 0 or an errno:
    /// EINVAL when there is no NUL, the name is empty or holds '/'; ENAMETOOLONG past the session's limit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TakeName(RequestSlot s, scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> name)
    {
        int e = TakeString(s, ref rest, out name);
        if (e == 0 && name.Contains((byte)'/')) return ProtocolError(s);
        return e;
    }

    /// <summary>
    /// Split a NUL-terminated string off the front of <paramref name="rest"/>, as <see cref="TakeName"/> but with
    /// '/' allowed: an extended-attribute name ("user.a/b") is not a path component, and ext4 accepts it; what
    /// the kernel and the filesystem refuse is theirs to refuse.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TakeString(RequestSlot s, scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> name)
    {
        int nul = rest.IndexOf((byte)0);
        if (nul <= 0)
        {
            name = default;
            return ProtocolError(s);
        }
        name = rest[..nul];
        rest = rest[(nul + 1)..];
        return name.Length > s.Session.MaxNameLength ? Errno.ENAMETOOLONG : 0;
    }

    /// <summary>The name that is the whole payload (LOOKUP, UNLINK, RMDIR…).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OnlyName(RequestSlot s, out ReadOnlySpan<byte> name)
    {
        var rest = s.PayloadSpan;
        return TakeName(s, ref rest, out name);
    }

    /// <summary>The extended-attribute name that is the whole payload (GETXATTR, REMOVEXATTR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OnlyXattrName(RequestSlot s, out ReadOnlySpan<byte> name)
    {
        var rest = s.PayloadSpan;
        return TakeString(s, ref rest, out name);
    }

    /// <summary>Count a request that breaks the protocol; answer EINVAL.</summary>
    private static int ProtocolError(RequestSlot s)
    {
        Interlocked.Increment(ref s.Session.Stats.ProtocolErrors);
        return Errno.EINVAL;
    }
}
