using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Uring;

namespace FastFuse.Tests.Unit;

/// <summary>
/// The C# io_uring (Uring/Ring.cs) against the running kernel: NOP round trips, index wrap-around, a full SQ, CQ
/// overflow without losing a completion, EBUSY/EAGAIN back-pressure, EINTR while waiting, and the ABI of the
/// structs against &lt;linux/io_uring.h&gt; compiled with gcc.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe partial class RingTests
{
    private static Ring NewRing(uint entries, uint cq = 0, uint flags = 0)
    {
        int r = Ring.Create(entries, flags, cq, out var ring);
        Assert.True(r == 0, $"io_uring_setup failed: {Errno.Name(-r)}");
        return ring!;
    }

    private static void Nop(Ring ring, ulong userData)
    {
        var sqe = ring.NextSqe();
        Assert.True(sqe != null, "the SQ should have room");
        sqe->Opcode = IoUring.OpNop;
        sqe->UserData = userData;
    }

    /// <summary>Reap every ready completion; returns their user_data in order.</summary>
    private static List<ulong> Reap(Ring ring)
    {
        var seen = new List<ulong>();
        uint n = ring.CqReady;
        for (uint i = 0; i < n; i++)
        {
            var c = ring.Cqe(i);
            Assert.Equal(0, c->Res);
            seen.Add(c->UserData);
        }
        ring.CqAdvance(n);
        return seen;
    }

    [Fact]
    public void Nop_RoundTrip()
    {
        using var ring = NewRing(8);
        Assert.Equal(8u, ring.SqEntries);
        Assert.Equal(16u, ring.CqEntries);
        Nop(ring, 0xfeed);
        Assert.Equal(1, ring.Submit(waitFor: 1));
        Assert.Equal(new ulong[] { 0xfeed }, Reap(ring));
        Assert.Equal(0u, ring.CqReady);
    }

    [Fact]
    public void Sqe128_Rings_Have128ByteEntries_AndTheCommandArea()
    {
        using var ring = NewRing(4, flags: IoUring.SetupSqe128);
        Assert.Equal(128, ring.SqeSize);
        var a = ring.NextSqe();
        var b = ring.NextSqe();
        Assert.Equal(128, (int)((byte*)b - (byte*)a));
        Assert.Equal(48, (int)(Ring.Cmd(a) - (byte*)a));
        a->Opcode = b->Opcode = IoUring.OpNop;
        a->UserData = 1;
        b->UserData = 2;
        Assert.Equal(2, ring.Submit(waitFor: 2));
        Assert.Equal(new ulong[] { 1, 2 }, Reap(ring));
    }

    [Fact]
    public void Indexes_WrapAround_ManyTimesTheRingSize()
    {
        using var ring = NewRing(4);
        ulong next = 0;
        for (int round = 0; round < 2000; round++)
        {
            int k = 1 + round % 4;
            var expect = new List<ulong>();
            for (int i = 0; i < k; i++) { Nop(ring, next); expect.Add(next++); }
            Assert.Equal(k, ring.Submit(waitFor: (uint)k));
            Assert.Equal(expect, Reap(ring));
        }
        Assert.Equal(0u, ring.SqPending);
    }

    [Fact]
    public void AFullSq_HandsOutNoMoreEntries_UntilSubmitted()
    {
        using var ring = NewRing(4);
        for (ulong i = 0; i < 4; i++) Nop(ring, i);
        Assert.True(ring.NextSqe() == null, "a fifth SQE in a 4-entry ring");
        Assert.Equal(4u, ring.SqPending);
        Assert.Equal(4, ring.Submit(waitFor: 4));
        Assert.True(ring.NextSqe() != null, "the SQ has room again once the kernel consumed it");
    }

    [Fact]
    public void CqOverflow_LosesNoCompletion_AndBackPressureIsHandledByReaping()
    {
        // SQ 8, CQ 8: three batches of 8 NOPs without reaping overflow the CQ. The kernel keeps what does not fit
        // (FEAT_NODROP) and flags the overflow; a submit may meet EBUSY/EAGAIN, which reaping resolves.
        using var ring = NewRing(8, cq: 8);
        Assert.True((ring.Features & IoUring.FeatNodrop) != 0, "kernel without IORING_FEAT_NODROP");
        ulong next = 0;
        var seen = new List<ulong>();
        int backPressure = 0;
        for (int batch = 0; batch < 3; batch++)
        {
            for (int i = 0; i < 8; i++) Nop(ring, next++);
            while (true)
            {
                int r = ring.Submit();
                if (r >= 0) break;
                Assert.True(r == -Errno.EBUSY || r == -Errno.EAGAIN, $"submit failed with {Errno.Name(-r)}");
                backPressure++;
                seen.AddRange(Reap(ring));
            }
        }
        Assert.True(ring.CqOverflowPending || backPressure > 0 || seen.Count > 0, "24 completions in an 8-entry CQ must overflow");
        for (int guard = 0; seen.Count < 24 && guard < 100; guard++)
        {
            seen.AddRange(Reap(ring));
            if (seen.Count < 24) Assert.True(ring.Submit(waitFor: 1) >= 0);
        }
        seen.Sort();
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (ulong)i), seen);
        Assert.Equal(0u, ring.CqDropped);
        Assert.False(ring.CqOverflowPending);
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall3(long n, long a, long b, long c);

    [Fact]
    public void ASignalWhileWaiting_IsRetried_AndTheCompletionStillArrives()
    {
        // A thread waits in io_uring_enter for an eventfd read; another thread sends it signals (SIGWINCH, which
        // the .NET runtime handles) and then writes the eventfd. The waiter must come back with the read's
        // completion, not with an error.
        using var reg = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, c => c.Cancel = true);
        int efd = UringSys.Eventfd(UringSys.EFD_CLOEXEC);
        Assert.True(efd >= 0);
        using var ring = NewRing(4);
        long buf = 0;
        var sqe = ring.NextSqe();
        sqe->Opcode = IoUring.OpRead;
        sqe->Fd = efd;
        sqe->Addr = (ulong)&buf;
        sqe->Len = 8;
        sqe->UserData = 77;
        long tid = 0;
        int result = int.MinValue;
        var waiter = new Thread(() =>
        {
            Volatile.Write(ref tid, Syscall3(186, 0, 0, 0));           // gettid
            result = ring.Submit(waitFor: 1);
        });
        waiter.Start();
        while (Volatile.Read(ref tid) == 0) Thread.Yield();
        Thread.Sleep(50);
        for (int i = 0; i < 5; i++)
        {
            Syscall3(234, Environment.ProcessId, Volatile.Read(ref tid), 28);   // tgkill(pid, tid, SIGWINCH)
            Thread.Sleep(10);
        }
        long one = 1;
        Assert.Equal(8, (int)Libc.Write(efd, &one, 8));
        Assert.True(waiter.Join(5000), "the waiter never came back");
        Assert.True(result >= 0, $"Submit returned {result}");
        Assert.Equal(1u, ring.CqReady);
        Assert.Equal(77ul, ring.Cqe(0)->UserData);
        Assert.Equal(8, ring.Cqe(0)->Res);
        ring.CqAdvance(1);
        Libc.Close(efd);
    }

    [Fact]
    public void Structs_MatchTheSystemHeader()
    {
        string probe = """
            #include <stdio.h>
            #include <stddef.h>
            #include <linux/io_uring.h>
            #define O(t, f) printf(#t "." #f "=%zu\n", offsetof(struct t, f))
            int main(void) {
              printf("io_uring_sqe=%zu\n", sizeof(struct io_uring_sqe));
              printf("io_uring_cqe=%zu\n", sizeof(struct io_uring_cqe));
              printf("io_uring_params=%zu\n", sizeof(struct io_uring_params));
              printf("io_sqring_offsets=%zu\n", sizeof(struct io_sqring_offsets));
              printf("io_cqring_offsets=%zu\n", sizeof(struct io_cqring_offsets));
              O(io_uring_sqe, opcode); O(io_uring_sqe, flags); O(io_uring_sqe, ioprio); O(io_uring_sqe, fd);
              O(io_uring_sqe, off); O(io_uring_sqe, addr); O(io_uring_sqe, len); O(io_uring_sqe, rw_flags);
              O(io_uring_sqe, user_data); O(io_uring_sqe, buf_index); O(io_uring_sqe, personality);
              O(io_uring_sqe, splice_fd_in); O(io_uring_sqe, addr3); O(io_uring_sqe, cmd); O(io_uring_sqe, cmd_op);
              O(io_uring_cqe, user_data); O(io_uring_cqe, res); O(io_uring_cqe, flags);
              O(io_uring_params, sq_entries); O(io_uring_params, cq_entries); O(io_uring_params, flags);
              O(io_uring_params, features); O(io_uring_params, wq_fd); O(io_uring_params, sq_off); O(io_uring_params, cq_off);
              O(io_sqring_offsets, head); O(io_sqring_offsets, tail); O(io_sqring_offsets, ring_mask);
              O(io_sqring_offsets, ring_entries); O(io_sqring_offsets, flags); O(io_sqring_offsets, dropped);
              O(io_sqring_offsets, array);
              O(io_cqring_offsets, head); O(io_cqring_offsets, tail); O(io_cqring_offsets, ring_mask);
              O(io_cqring_offsets, ring_entries); O(io_cqring_offsets, overflow); O(io_cqring_offsets, cqes);
              O(io_cqring_offsets, flags);
              printf("IORING_OP_URING_CMD=%d\nIORING_OP_READ=%d\nIORING_OP_WRITEV=%d\nIORING_OP_POLL_ADD=%d\n",
                     IORING_OP_URING_CMD, IORING_OP_READ, IORING_OP_WRITEV, IORING_OP_POLL_ADD);
              printf("IORING_SETUP_SQE128=%u\nIORING_SETUP_CQSIZE=%u\nIORING_SETUP_SINGLE_ISSUER=%u\nIORING_SETUP_DEFER_TASKRUN=%u\n",
                     IORING_SETUP_SQE128, IORING_SETUP_CQSIZE, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN);
              printf("IORING_OFF_CQ_RING=%llu\nIORING_OFF_SQES=%llu\n", IORING_OFF_CQ_RING, IORING_OFF_SQES);
              printf("IORING_SQ_CQ_OVERFLOW=%u\nIORING_FEAT_SINGLE_MMAP=%u\nIORING_FEAT_NODROP=%u\n",
                     IORING_SQ_CQ_OVERFLOW, IORING_FEAT_SINGLE_MMAP, IORING_FEAT_NODROP);
              return 0;
            }
            """;
        var got = AbiLayoutTests.CompileAndRun(probe).Select(l => l.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        var want = new Dictionary<string, long>
        {
            ["io_uring_sqe"] = sizeof(IoUringSqe), ["io_uring_cqe"] = sizeof(IoUringCqe), ["io_uring_params"] = sizeof(IoUringParams),
            ["io_sqring_offsets"] = sizeof(IoSqringOffsets), ["io_cqring_offsets"] = sizeof(IoCqringOffsets),
            ["io_uring_sqe.opcode"] = Off<IoUringSqe>(nameof(IoUringSqe.Opcode)), ["io_uring_sqe.flags"] = Off<IoUringSqe>(nameof(IoUringSqe.Flags)),
            ["io_uring_sqe.ioprio"] = Off<IoUringSqe>(nameof(IoUringSqe.Ioprio)), ["io_uring_sqe.fd"] = Off<IoUringSqe>(nameof(IoUringSqe.Fd)),
            ["io_uring_sqe.off"] = Off<IoUringSqe>(nameof(IoUringSqe.Off)), ["io_uring_sqe.addr"] = Off<IoUringSqe>(nameof(IoUringSqe.Addr)),
            ["io_uring_sqe.len"] = Off<IoUringSqe>(nameof(IoUringSqe.Len)), ["io_uring_sqe.rw_flags"] = Off<IoUringSqe>(nameof(IoUringSqe.OpFlags)),
            ["io_uring_sqe.user_data"] = Off<IoUringSqe>(nameof(IoUringSqe.UserData)), ["io_uring_sqe.buf_index"] = Off<IoUringSqe>(nameof(IoUringSqe.BufIndex)),
            ["io_uring_sqe.personality"] = Off<IoUringSqe>(nameof(IoUringSqe.Personality)), ["io_uring_sqe.splice_fd_in"] = Off<IoUringSqe>(nameof(IoUringSqe.SpliceFdIn)),
            ["io_uring_sqe.addr3"] = Off<IoUringSqe>(nameof(IoUringSqe.Addr3)), ["io_uring_sqe.cmd"] = IoUringSqe.CmdOffset,
            ["io_uring_sqe.cmd_op"] = Off<IoUringSqe>(nameof(IoUringSqe.CmdOp)),
            ["io_uring_cqe.user_data"] = Off<IoUringCqe>(nameof(IoUringCqe.UserData)), ["io_uring_cqe.res"] = Off<IoUringCqe>(nameof(IoUringCqe.Res)),
            ["io_uring_cqe.flags"] = Off<IoUringCqe>(nameof(IoUringCqe.Flags)),
            ["io_uring_params.sq_entries"] = Off<IoUringParams>(nameof(IoUringParams.SqEntries)), ["io_uring_params.cq_entries"] = Off<IoUringParams>(nameof(IoUringParams.CqEntries)),
            ["io_uring_params.flags"] = Off<IoUringParams>(nameof(IoUringParams.Flags)), ["io_uring_params.features"] = Off<IoUringParams>(nameof(IoUringParams.Features)),
            ["io_uring_params.wq_fd"] = Off<IoUringParams>(nameof(IoUringParams.WqFd)), ["io_uring_params.sq_off"] = Off<IoUringParams>(nameof(IoUringParams.SqOff)),
            ["io_uring_params.cq_off"] = Off<IoUringParams>(nameof(IoUringParams.CqOff)),
            ["io_sqring_offsets.head"] = 0, ["io_sqring_offsets.tail"] = 4, ["io_sqring_offsets.ring_mask"] = 8, ["io_sqring_offsets.ring_entries"] = 12,
            ["io_sqring_offsets.flags"] = 16, ["io_sqring_offsets.dropped"] = 20, ["io_sqring_offsets.array"] = 24,
            ["io_cqring_offsets.head"] = 0, ["io_cqring_offsets.tail"] = 4, ["io_cqring_offsets.ring_mask"] = 8, ["io_cqring_offsets.ring_entries"] = 12,
            ["io_cqring_offsets.overflow"] = 16, ["io_cqring_offsets.cqes"] = 20, ["io_cqring_offsets.flags"] = 24,
            ["IORING_OP_URING_CMD"] = IoUring.OpUringCmd, ["IORING_OP_READ"] = IoUring.OpRead, ["IORING_OP_WRITEV"] = IoUring.OpWritev,
            ["IORING_OP_POLL_ADD"] = IoUring.OpPollAdd,
            ["IORING_SETUP_SQE128"] = IoUring.SetupSqe128, ["IORING_SETUP_CQSIZE"] = IoUring.SetupCqSize,
            ["IORING_SETUP_SINGLE_ISSUER"] = IoUring.SetupSingleIssuer, ["IORING_SETUP_DEFER_TASKRUN"] = IoUring.SetupDeferTaskrun,
            ["IORING_OFF_CQ_RING"] = IoUring.OffCqRing, ["IORING_OFF_SQES"] = IoUring.OffSqes,
            ["IORING_SQ_CQ_OVERFLOW"] = IoUring.SqCqOverflow, ["IORING_FEAT_SINGLE_MMAP"] = IoUring.FeatSingleMmap, ["IORING_FEAT_NODROP"] = IoUring.FeatNodrop,
        };
        // The sqring/cqring offset structs are sequential u32s: check the C# side agrees with the numbers above.
        Assert.Equal(24, Off<IoSqringOffsets>(nameof(IoSqringOffsets.Array)));
        Assert.Equal(20, Off<IoCqringOffsets>(nameof(IoCqringOffsets.Cqes)));
        foreach (var (k, v) in want) Assert.True(got.TryGetValue(k, out long g) && g == v, $"{k}: C# {v}, header {(got.TryGetValue(k, out long x) ? x : -1)}");
        Assert.Equal(want.Count, got.Count);
    }

    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
