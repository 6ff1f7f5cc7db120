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
        Set(t, Opcode.NotifyReply, 0, 0, ReplyKind.None, 0, 0, &NotifyReply);
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

    private static int NotifyReply(RequestSlot s, in RequestContext ctx) => Dispatcher.NoReply;
}
