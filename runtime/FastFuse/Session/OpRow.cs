using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

/// <summary>What kind of answer an opcode gets.</summary>
internal enum ReplyKind : byte
{
    /// <summary>The kernel expects no reply (FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY): writing one is refused.</summary>
    None,
    /// <summary>Only a status: 0 or an errno, no payload.</summary>
    Status,
    /// <summary>A fixed-size struct (<see cref="OpRow.ReplySize"/> bytes), zeroed in the slot's fixed area before the handler runs.</summary>
    Fixed,
    /// <summary>Variable data built in the slot's data area (read data, directory entries, xattr values).</summary>
    Data,
    /// <summary>As <see cref="Data"/>, but the payload stays where the transport put it (on fuse-uring, the data area
    /// itself) and the handler builds its answer past it (IOCTL: an input as long as the output it answers).</summary>
    DataAfterPayload,
}

/// <summary>
/// Everything the runtime knows about one opcode, in one row: its name, the size of its own struct (the
/// kernel's first in-argument; on fuse-uring it arrives in the op area), the fewest payload bytes it may carry,
/// the kind and size of its reply, how many names lead its payload (for the debug log), its handler and an
/// optional debug formatter. Rows without a handler are answered ENOSYS.
/// </summary>
internal readonly unsafe struct OpRow
{
    public readonly string Name;
    public readonly int OpSize;
    /// <summary>The op struct's size when the connection lacks the extension that grew it (SETXATTR without
    /// FUSE_SETXATTR_EXT: 8 instead of 16); 0 when the size never changes.</summary>
    public readonly int CompatOpSize;
    public readonly int MinPayload;
    public readonly ReplyKind Reply;
    public readonly int ReplySize;
    public readonly byte Names;
    public readonly delegate*<RequestSlot, in RequestContext, int> Handler;
    public readonly delegate*<RequestSlot, StringBuilder, void> Format;

    public OpRow(Opcode op, int opSize, int minPayload, ReplyKind reply, int replySize, byte names,
        delegate*<RequestSlot, in RequestContext, int> handler, delegate*<RequestSlot, StringBuilder, void> format = null,
        int compatOpSize = 0)
    {
        Name = OpcodeInfo.Name(op);
        OpSize = opSize;
        CompatOpSize = compatOpSize;
        MinPayload = minPayload;
        Reply = reply;
        ReplySize = replySize;
        Names = names;
        Handler = handler;
        Format = format;
    }

    public bool NoReply => Reply == ReplyKind.None;
}
