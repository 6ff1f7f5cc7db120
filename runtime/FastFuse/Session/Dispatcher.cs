using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Session;

/// <summary>
/// From the kernel's bytes to a handler and back. One table, indexed by opcode, holds for every opcode the
/// smallest body it may have and its handler; adding an opcode is one row (see <see cref="BuildTable"/>).
/// Every check a malformed request can fail (short header, a length that lies, a body shorter than its struct,
/// a name without NUL or with '/') answers a clear errno and counts a protocol error; nothing reads past the
/// request's bytes.
/// </summary>
internal static unsafe partial class Dispatcher
{
    internal const int NoReply = int.MinValue + 1;
    private const int InHeaderSize = 40;

    private readonly struct Row
    {
        public readonly delegate*<Worker, in RequestContext, ReadOnlySpan<byte>, int> Handler;
        public readonly int MinBody;
        public Row(delegate*<Worker, in RequestContext, ReadOnlySpan<byte>, int> handler, int minBody)
        {
            Handler = handler;
            MinBody = minBody;
        }
    }

    private static readonly Row[] Table = BuildTable();

    /// <summary>Dispatch one request of <paramref name="length"/> bytes at <paramref name="buffer"/>.</summary>
    public static void Dispatch(Worker w, byte* buffer, int length)
    {
        var session = w.Session;
        w.BeginRequest();
        if (length < InHeaderSize)
        {
            // Too short to hold a header: answer EIO if at least the unique is there, so a caller is not left waiting.
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            if (length >= 16)
            {
                var bare = new RequestContext(w, session.Epoch, Unsafe.ReadUnaligned<ulong>(buffer + 8), 0, 0, 0, 0, 0);
                w.SendReply(in bare, Errno.EIO);
            }
            return;
        }
        // Safe: the buffer holds at least InHeaderSize bytes (checked above) and is 8-byte aligned.
        ref readonly FuseInHeader h = ref Unsafe.AsRef<FuseInHeader>(buffer);
        var op = (Opcode)h.Opcode;
        var ctx = new RequestContext(w, session.Epoch, h.Unique, h.Nodeid, h.Uid, h.Gid, h.Pid, op);
        if (h.Len != (uint)length)
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            Finish(w, in ctx, IsNoReply(op) ? NoReply : Errno.EIO);
            return;
        }
        var body = new ReadOnlySpan<byte>(buffer + InHeaderSize, length - InHeaderSize);
        w.SetCurrent(in ctx);
        if (Log.DebugEnabled) LogRequest(in ctx, body);

        int status;
        Row row = (uint)h.Opcode < (uint)Table.Length ? Table[h.Opcode] : default;
        if (row.Handler == null)
        {
            Interlocked.Increment(ref session.Stats.Unimplemented);
            status = Errno.ENOSYS;
        }
        else if (body.Length < row.MinBody)
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            status = Errno.EINVAL;
        }
        else if (!session.Initialized && op != Opcode.Init)
        {
            Interlocked.Increment(ref session.Stats.ProtocolErrors);
            status = IsNoReply(op) ? NoReply : Errno.EIO;
        }
        else
        {
            try
            {
                status = row.Handler(w, in ctx, body);
            }
            catch (Exception ex)
            {
                status = HandlerFailed(w, in ctx, ex);
            }
        }
        Finish(w, in ctx, status);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Worker w, in RequestContext ctx, int status)
    {
        if (status == NoReply || status == Status.Deferred)
        {
            w.Stats.Record(ctx.Opcode, status, System.Diagnostics.Stopwatch.GetTimestamp() - w.StartTicks);
            return;
        }
        if (status < 0 || status >= 512)
        {
            // A handler returned something that is not an errno: the kernel would reject it (EINVAL) and fail
            // the caller anyway; make it an honest EIO and say so once.
            Log.Error($"{OpcodeInfo.Name(ctx.Opcode)} handler returned {status}, not an errno; answered EIO");
            status = Errno.EIO;
        }
        w.Session.Interrupts.Complete(ctx.Unique);
        if (!w.ReplySent) w.SendReply(in ctx, status);
        if (ctx.Opcode == Opcode.Init) w.Session.OnInitReplied();
        w.Stats.Record(ctx.Opcode, status, System.Diagnostics.Stopwatch.GetTimestamp() - w.StartTicks);
    }

    /// <summary>Opcodes the kernel expects no answer to: writing one would be refused (ENOENT).</summary>
    private static bool IsNoReply(Opcode op) =>
        op is Opcode.Forget or Opcode.BatchForget or Opcode.Interrupt or Opcode.NotifyReply;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int HandlerFailed(Worker w, in RequestContext ctx, Exception ex)
    {
        Interlocked.Increment(ref w.Session.Stats.HandlerExceptions);
        Log.Error($"{OpcodeInfo.Name(ctx.Opcode)} handler threw {ex.GetType().Name}: {ex.Message} (unique {ctx.Unique}); answered EIO");
        w.SegmentCount = 0;
        return Errno.EIO;
    }

    // ---- decoding helpers -------------------------------------------------------------------------------

    /// <summary>The fixed struct at the start of the body (length checked by the table's MinBody).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref readonly T In<T>(ReadOnlySpan<byte> body) where T : unmanaged =>
        ref MemoryMarshal.AsRef<T>(body);

    /// <summary>
    /// Split a NUL-terminated name off the front of <paramref name="rest"/>. Returns 0 or an errno:
    /// EINVAL when there is no NUL, the name is empty or holds '/'; ENAMETOOLONG past the session's limit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TakeName(Worker w, ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> name)
    {
        int nul = rest.IndexOf((byte)0);
        if (nul <= 0)
        {
            name = default;
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        name = rest[..nul];
        rest = rest[(nul + 1)..];
        if (name.Contains((byte)'/'))
        {
            Interlocked.Increment(ref w.Session.Stats.ProtocolErrors);
            return Errno.EINVAL;
        }
        return name.Length > w.Session.MaxNameLength ? Errno.ENAMETOOLONG : 0;
    }

    // ---- debug log ---------------------------------------------------------------------------------------

    private static void LogRequest(in RequestContext ctx, ReadOnlySpan<byte> body)
    {
        var sb = new StringBuilder();
        sb.Append("rx ").Append(ctx.Unique).Append(": ").Append(OpcodeInfo.Name(ctx.Opcode)).Append(" n").Append(ctx.NodeId);
        // Show the names a request carries, as the kernel sent them.
        int nameStart = ctx.Opcode switch
        {
            Opcode.Lookup or Opcode.Unlink or Opcode.Rmdir or Opcode.Symlink or Opcode.Removexattr => 0,
            Opcode.Mknod => 16,
            Opcode.Mkdir => 8,
            Opcode.Rename => 8,
            Opcode.Rename2 => 16,
            Opcode.Link => 8,
            Opcode.Create => 16,
            Opcode.Getxattr => 8,
            _ => -1,
        };
        if (nameStart >= 0 && nameStart <= body.Length)
        {
            var rest = body[nameStart..];
            sb.Append(" [");
            for (int i = 0; i < 2 && !rest.IsEmpty; i++)
            {
                int nul = rest.IndexOf((byte)0);
                if (nul < 0) break;
                if (i > 0) sb.Append(", ");
                sb.Append('"').Append(Encoding.UTF8.GetString(rest[..nul])).Append('"');
                rest = rest[(nul + 1)..];
                if (ctx.Opcode is not (Opcode.Rename or Opcode.Rename2 or Opcode.Symlink)) break;
            }
            sb.Append(']');
        }
        else if (ctx.Opcode is Opcode.Read or Opcode.Write && body.Length >= 24)
        {
            sb.Append(" fh=").Append(MemoryMarshal.Read<ulong>(body)).Append(" off=").Append(MemoryMarshal.Read<ulong>(body[8..]))
              .Append(" size=").Append(MemoryMarshal.Read<uint>(body[16..]));
        }
        sb.Append(" uid=").Append(ctx.Uid).Append(" pid=").Append(ctx.Pid);
        Log.Debug(sb.ToString());
    }

    internal static void LogReply(in RequestContext ctx, int status, int payload) =>
        Log.Debug(status == 0
            ? $"tx {ctx.Unique}: OK {payload} bytes"
            : $"tx {ctx.Unique}: {Errno.Name(status)}");
}
