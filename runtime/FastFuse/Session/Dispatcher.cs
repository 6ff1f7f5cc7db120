using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

/// <summary>
/// From a request slot to a handler and back, the same for every transport. One table indexed by opcode holds a
/// row per opcode (<see cref="OpRow"/>: name, struct size, minimum payload, reply kind, handler, formatter); the
/// rows live next to their handlers in Session/Ops. Every check a malformed request can fail (short header, a
/// length that lies, a struct or payload shorter than the row allows, a name without NUL, a file name with '/') answers a
/// clear errno and counts a protocol error; nothing reads past the request's bytes.
/// <para>The way of a GETATTR: the transport reads it into a slot (Transport/DevFuse/DevFuseWorker.cs) and calls
/// <see cref="Dispatch"/>; the row's handler (Session/Ops/Ops.Attr.cs) decodes fuse_getattr_in, calls the
/// filesystem with the zeroed fuse_attr_out in the slot, and returns; <see cref="Finish"/> hands the reply to the
/// slot's owner, which checks the epoch and writes it.</para>
/// </summary>
internal static unsafe partial class Dispatcher
{
    internal const int NoReply = int.MinValue + 1;

    private static readonly OpRow[] Table = BuildTable();

    /// <summary>The row of <paramref name="opcode"/>; an empty row (ENOSYS) for opcodes past the table.</summary>
    internal static ref readonly OpRow RowOf(uint opcode) =>
        ref opcode < (uint)Table.Length ? ref Table[opcode] : ref Table[0];

    /// <summary>Handle the request in <paramref name="s"/> and hand its reply to the slot's owner.</summary>
    public static void Dispatch(RequestSlot s)
    {
        var session = s.Session;
        s.Begin(session.Epoch, Stopwatch.GetTimestamp());
        if (s.Contiguous && s.OpLength < 0)
        {
            Truncated(s);
            return;
        }
        ref readonly FuseInHeader h = ref *s.Header;
        var op = (Opcode)h.Opcode;
        s.Unique = h.Unique;
        s.Opcode = op;
        ref readonly OpRow row = ref RowOf(h.Opcode);
        var ctx = new RequestContext(s, s.Epoch, h.Unique, h.Nodeid, h.Uid, h.Gid, h.Pid, op);
        int status;
        if (s.Contiguous && h.Len != (uint)(s.OpLength + FuseInHeader.Size))
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            status = row.NoReply ? NoReply : Errno.EIO;
        }
        else if (row.Handler == null)
        {
            if (Log.DebugEnabled) LogRequest(s, in row, split: false);
            Interlocked.Increment(ref session.Stats.Unimplemented);
            status = Errno.ENOSYS;
        }
        else if (!Split(s, in row))
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            status = row.NoReply ? NoReply : Errno.EINVAL;
        }
        else
        {
            if (Log.DebugEnabled) LogRequest(s, in row, split: true);
            status = Run(s, in ctx, in row);
        }
        Finish(s, in row, status);
    }

    /// <summary>Cut the body into the op struct and the payload, and check both against the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Split(RequestSlot s, in OpRow row)
    {
        int opSize = row.CompatOpSize != 0 && !s.Session.SetxattrExt ? row.CompatOpSize : row.OpSize;
        if (s.OpLength < opSize) return false;
        if (s.Contiguous)
        {
            s.Payload = s.Op + opSize;
            s.PayloadLength = s.OpLength - opSize;
        }
        else if (s.PayloadInData && row.Reply == ReplyKind.Data && s.PayloadLength > 0 && !s.RelocatePayload()) return false;
        return s.PayloadLength >= row.MinPayload;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Run(RequestSlot s, in RequestContext ctx, in OpRow row)
    {
        var session = s.Session;
        if (!session.Initialized && s.Opcode != Opcode.Init)
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            return row.NoReply ? NoReply : Errno.EIO;
        }
        if (session.DenyOthers && !row.NoReply && DeniedAsOther(s, in ctx)) return Errno.EACCES;
        if (row.Reply == ReplyKind.Fixed)
        {
            // Safe: the fixed area holds RequestSlot.FixedCapacity bytes, more than any row's ReplySize.
            Unsafe.InitBlockUnaligned(s.Fixed, 0, (uint)row.ReplySize);
            s.UseFixed(row.ReplySize);
        }
        try
        {
            return row.Handler(s, in ctx);
        }
        catch (Exception ex)
        {
            return HandlerFailed(s, ex);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(RequestSlot s, in OpRow row, int status)
    {
        if (status == NoReply || status == Api.Status.Deferred || row.NoReply)
        {
            s.Status = status;
            s.Stats.Record(s.Opcode, status, Stopwatch.GetTimestamp() - s.StartTicks);
            return;
        }
        if (status < 0 || status >= 512) status = NotAnErrno(s, status);
        if (!s.Sent) s.Complete(status);
        if (s.Opcode == Opcode.Init) s.Session.OnInitReplied();
        s.Stats.Record(s.Opcode, status, Stopwatch.GetTimestamp() - s.StartTicks);
    }

    /// <summary>allow_root: a caller other than the mounting user and root is refused, except on what it reaches through
    /// a handle it already holds (a descriptor passed to it), libfuse's list plus FLUSH.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool DeniedAsOther(RequestSlot s, in RequestContext ctx) =>
        ctx.Uid != s.Session.OwnerUid && ctx.Uid != 0 && s.Opcode is not (Opcode.Init or Opcode.Read or Opcode.Write or
            Opcode.Fsync or Opcode.Flush or Opcode.Release or Opcode.Readdir or Opcode.Readdirplus or Opcode.Fsyncdir or
            Opcode.Releasedir);

    /// <summary>Too short to hold a header: answer EIO if at least the unique is there, so no caller waits for ever.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Truncated(RequestSlot s)
    {
        Interlocked.Increment(ref s.Session.Stats.ProtocolErrors);
        if (s.OpLength + FuseInHeader.Size < 16) return;
        s.Unique = Unsafe.ReadUnaligned<ulong>((byte*)s.Header + 8);
        s.Opcode = 0;
        s.Complete(Errno.EIO);
    }

    /// <summary>A handler returned something that is not an errno: the kernel would reject it (EINVAL) and fail
    /// the caller anyway; make it an honest EIO and say so once.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NotAnErrno(RequestSlot s, int status)
    {
        Log.Error($"{OpcodeInfo.Name(s.Opcode)} handler returned {status}, not an errno; answered EIO");
        return Errno.EIO;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int HandlerFailed(RequestSlot s, Exception ex)
    {
        Interlocked.Increment(ref s.Session.Stats.HandlerExceptions);
        Log.Error($"{OpcodeInfo.Name(s.Opcode)} handler threw {ex.GetType().Name}: {ex.Message} (unique {s.Unique}); answered EIO");
        return Errno.EIO;
    }

    private static OpRow[] BuildTable()
    {
        var t = new OpRow[OpcodeInfo.MaxOpcode + 1];
        // Every opcode has a row, with its name; those without a handler are answered ENOSYS.
        for (int i = 0; i < t.Length; i++) t[i] = new OpRow((Opcode)i, 0, 0, ReplyKind.Status, 0, 0, null);
        Ops.AddLifecycle(t);
        Ops.AddEntries(t);
        Ops.AddAttr(t);
        Ops.AddFiles(t);
        Ops.AddDirs(t);
        Ops.AddXattr(t);
        return t;
    }
}
