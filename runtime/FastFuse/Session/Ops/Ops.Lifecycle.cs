using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Transport;

namespace FastFuse.Session;

// INIT, DESTROY, and the opcodes the kernel expects no answer to: FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY.
internal static unsafe partial class Ops
{
    internal static void AddLifecycle(OpRow[] t)
    {
        // INIT's struct grew over the years: the whole body is taken as payload and read by length.
        Set(t, Opcode.Init, 0, 8, ReplyKind.Fixed, sizeof(FuseInitOut), 0, &Init);
        Set(t, Opcode.Destroy, 0, 0, ReplyKind.Status, 0, 0, &Destroy);
        Set(t, Opcode.Forget, sizeof(FuseForgetIn), 0, ReplyKind.None, 0, 0, &Forget);
        Set(t, Opcode.BatchForget, sizeof(FuseBatchForgetIn), 0, ReplyKind.None, 0, 0, &BatchForget);
        Set(t, Opcode.Interrupt, sizeof(FuseInterruptIn), 0, ReplyKind.None, 0, 0, &Interrupt);
        // NOTIFY_REPLY's first argument is empty (fuse_set_zero_arg0): on a fuse-uring entry fuse_notify_retrieve_in
        // comes in the payload, not the op area; on /dev/fuse it follows the header. Both are "payload" here.
        Set(t, Opcode.NotifyReply, 0, sizeof(FuseNotifyRetrieveIn), ReplyKind.None, 0, 0, &NotifyReply);
    }

    private static int Init(RequestSlot s, in RequestContext ctx) => s.Session.HandleInit(s, s.PayloadSpan);

    private static int Destroy(RequestSlot s, in RequestContext ctx)
    {
        s.Session.OnDestroy();
        return Status.Ok;
    }

    private static int Forget(RequestSlot s, in RequestContext ctx)
    {
        Interlocked.Increment(ref s.Session.Stats.Forgets);
        Fs(s).Forget(ctx.NodeId, s.In<FuseForgetIn>().Nlookup);
        return Dispatcher.NoReply;
    }

    private static int BatchForget(RequestSlot s, in RequestContext ctx)
    {
        uint count = s.In<FuseBatchForgetIn>().Count;
        // A count that claims more entries than the request holds is cut to what is really there.
        long fits = s.PayloadLength / sizeof(FuseForgetOne);
        if (count > fits)
        {
            Interlocked.Increment(ref s.Session.Stats.ProtocolErrors);
            count = (uint)fits;
        }
        var items = MemoryMarshal.Cast<byte, FuseForgetOne>(s.PayloadSpan)[..(int)count];
        Interlocked.Add(ref s.Session.Stats.Forgets, count);
        Fs(s).BatchForget(items);
        return Dispatcher.NoReply;
    }

    private static int Interrupt(RequestSlot s, in RequestContext ctx)
    {
        s.Session.Interrupts.Mark(s.In<FuseInterruptIn>().Unique);
        return Dispatcher.NoReply;
    }

    /// <summary>The answer to a retrieve notification: unique is the notify_unique we chose; fuse_notify_retrieve_in,
    /// then the data.</summary>
    private static int NotifyReply(RequestSlot s, in RequestContext ctx)
    {
        var body = s.PayloadSpan;
        ref readonly var r = ref MemoryMarshal.AsRef<FuseNotifyRetrieveIn>(body);
        var data = body[sizeof(FuseNotifyRetrieveIn)..];
        if (r.Size < (uint)data.Length) data = data[..(int)r.Size];
        s.Session.Notify.OnRetrieveReply(ctx.Unique, (long)r.Offset, data);
        return Dispatcher.NoReply;
    }
}
