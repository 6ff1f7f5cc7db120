using System.Text;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// The -d log line of a request: "rx 12: LOOKUP n1 ["a"] uid=1000 pid=42". Built only when debug logging is on.
internal static unsafe partial class Dispatcher
{
    private static void LogRequest(RequestSlot s, in OpRow row, bool split)
    {
        var sb = new StringBuilder();
        ref readonly FuseInHeader h = ref *s.Header;
        sb.Append("rx ").Append(h.Unique).Append(": ").Append(row.Name).Append(" n").Append(h.Nodeid);
        if (split && row.Names > 0) AppendNames(sb, new ReadOnlySpan<byte>(s.Payload, s.PayloadLength), row.Names);
        if (split && row.Format != null) row.Format(s, sb);
        sb.Append(" uid=").Append(h.Uid).Append(" pid=").Append(h.Pid).Append(" (").Append(s.Stats.Label).Append(')');
        Log.Debug(sb.ToString());
    }

    /// <summary>The names a request carries, as the kernel sent them.</summary>
    private static void AppendNames(StringBuilder sb, ReadOnlySpan<byte> rest, int count)
    {
        sb.Append(" [");
        for (int i = 0; i < count && !rest.IsEmpty; i++)
        {
            int nul = rest.IndexOf((byte)0);
            if (nul < 0) break;
            if (i > 0) sb.Append(", ");
            sb.Append('"').Append(Encoding.UTF8.GetString(rest[..nul])).Append('"');
            rest = rest[(nul + 1)..];
        }
        sb.Append(']');
    }
}
