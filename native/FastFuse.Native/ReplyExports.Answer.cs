using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

// The one path every reply takes: claim the token, check the reply fits the request, then write the answer into
// the callback's out arguments (inline) or send it through the transport (deferred).
internal static unsafe partial class ReplyExports
{
    /// <summary>Bytes the reply functions allocated on the threads that called them (fastfuse_stats'
    /// request_path_allocated_bytes, with the loops' own): measured around each reply, two thread-local reads.</summary>
    internal static long AllocatedBytes;

    private static int Answer(nint req, string fn, ReplyTarget kind, int err, ReadOnlySpan<byte> body, long value = 0)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        int r = AnswerCore(req, fn, kind, err, body, value);
        Counted(before);
        return r;
    }

    private static void Counted(long before)
    {
        long used = GC.GetAllocatedBytesForCurrentThread() - before;
        if (used != 0) Interlocked.Add(ref AllocatedBytes, used);
    }

    private static int AnswerCore(nint req, string fn, ReplyTarget kind, int err, ReadOnlySpan<byte> body, long value)
    {
        int rc = NativeRequests.Claim(req, out int i, out uint gen, out var claimed);
        if (rc != 0) return Refused(fn, rc);
        ref var e = ref NativeRequests.At(i);
        if (Misfit(ref e, claimed, kind, body.Length, value) is { } why)
        {
            NativeRequests.Unclaim(i, gen, claimed);
            return Bad($"{fn}: {why}", Errno.EINVAL);
        }
        if (claimed == ReqState.InCallback)
        {
            e.Errno = err != 0 ? err : Inline(ref e, kind, body, value);
            NativeRequests.Answered(i, gen);
            return 0;
        }
        if (err != 0 || kind == ReplyTarget.Status)
        {
            NativeRequests.SendDeferred(i, gen, err, default);
            return 0;
        }
        if (kind == ReplyTarget.Ioctl)
        {
            // fuse_ioctl_out, then the output.
            var whole = Scratch.Get(sizeof(FuseIoctlOut) + body.Length);
            FuseIoctlOut head = default;
            head.Result = (int)value;
            MemoryMarshal.Write(whole, in head);
            body.CopyTo(whole[sizeof(FuseIoctlOut)..]);
            NativeRequests.SendDeferred(i, gen, 0, whole);
            return 0;
        }
        // The fixed answers that are one number: fuse_write_out / fuse_getxattr_out / fuse_poll_out (u32 + padding),
        // fuse_lseek_out, fuse_bmap_out, fuse_copy_file_range_out (u64).
        ulong number = kind is ReplyTarget.Xattr or ReplyTarget.Poll || (kind is ReplyTarget.Write && e.Op != Opcode.CopyFileRange64)
            ? (uint)value : (ulong)value;
        NativeRequests.SendDeferred(i, gen, 0, kind is ReplyTarget.Xattr or ReplyTarget.Write or ReplyTarget.Lseek or ReplyTarget.Bmap or ReplyTarget.Poll
            ? new ReadOnlySpan<byte>(&number, sizeof(ulong)) : body);
        return 0;
    }

    private static int Refused(string fn, int rc) => Bad(rc == -Errno.EALREADY
        ? $"{fn}: the request was answered already (or its session ended)"
        : $"{fn}: not a request token", -rc);

    /// <summary>Why this reply does not answer the request, or null when it does.</summary>
    private static string? Misfit(ref ReqEntry e, ReqState claimed, ReplyTarget kind, int length, long value)
    {
        string op = OpcodeInfo.Name(e.Op);
        switch (kind)
        {
            case ErrorReply:
                return null;
            case ReplyTarget.Data:
                if (e.Kind is not (ReplyTarget.Data or ReplyTarget.Dir) && !(e.Kind == ReplyTarget.Xattr && e.Requested != 0))
                    return $"{op} is not answered with data";
                long room = claimed == ReqState.InCallback && e.Kind == ReplyTarget.Data ? e.OutCap : e.Requested;
                return length > room ? $"{length} bytes, but {op} asked for {room}" : null;
            case ReplyTarget.Xattr:
                if (e.Kind != ReplyTarget.Xattr || e.Requested != 0) return $"{op} is not a size query (GETXATTR/LISTXATTR with size 0)";
                return value > int.MaxValue ? "size out of range" : null;
            case ReplyTarget.Ioctl:
                if (e.Kind != kind) return $"{op} is not answered by fastfuse_reply_ioctl";
                return length > e.Requested ? $"{length} bytes of output, but the ioctl has room for {e.Requested}" : null;
            case ReplyTarget.Write:
                if (e.Kind != kind) return $"{op} is not answered with a count";
                if (e.Op == Opcode.Write && value > e.Requested) return $"{value} bytes written, but {op} carried {e.Requested}";
                return e.Op == Opcode.CopyFileRange && value > uint.MaxValue ? "COPY_FILE_RANGE counts below 4 GiB" : null;
            default:
                return e.Kind == kind ? null : $"{op} is not answered by this reply";
        }
    }

    /// <summary>Write a successful answer into the callback's out arguments; returns its errno (0, or ERANGE / E2BIG
    /// when an xattr value does not fit).</summary>
    private static int Inline(ref ReqEntry e, ReplyTarget kind, ReadOnlySpan<byte> body, long value)
    {
        switch (kind)
        {
            case ReplyTarget.Create:
                body[..sizeof(FuseEntryOut)].CopyTo(new Span<byte>(e.Out, sizeof(FuseEntryOut)));
                body[sizeof(FuseEntryOut)..].CopyTo(new Span<byte>(e.Out2, sizeof(FuseOpenOut)));
                return 0;
            case ReplyTarget.Data when e.Kind == ReplyTarget.Dir:
                // Safe: Out is the DirectoryReply on the worker's stack, alive while its callback runs (InCallback).
                return ((DirectoryReply*)e.Out)->AppendPacked(body) ? 0 : Errno.EIO;
            case ReplyTarget.Data when e.Kind == ReplyTarget.Xattr:
                return ((XattrReply*)e.Out)->Set(body);
            case ReplyTarget.Data:
                body.CopyTo(new Span<byte>(e.Out, e.OutCap));   // Out is the READ room; the same bytes when written in place
                e.Len = body.Length;
                return 0;
            case ReplyTarget.Xattr:
                ((XattrReply*)e.Out)->Reserve((int)value, out _);   // a size query only records the size
                return 0;
            case ReplyTarget.Write or ReplyTarget.Lseek or ReplyTarget.Bmap or ReplyTarget.Poll:
                e.Value = value;
                return 0;
            case ReplyTarget.Ioctl:
                body.CopyTo(new Span<byte>(e.Out, e.OutCap));   // the output room after fuse_ioctl_out
                e.Len = body.Length;
                e.Value = value;
                return 0;
            case ReplyTarget.Status:
                return 0;
            default:
                // Entry, Attr, Open, Statfs, Lock: the callback's out struct, OutCap bytes.
                body.CopyTo(new Span<byte>(e.Out, e.OutCap));
                return 0;
        }
    }

    /// <summary>fastfuse_reply_data_fd: inside the callback the range is recorded and spliced by the worker; later it
    /// is read here (pread) and sent as bytes.</summary>
    private static int AnswerFromFile(nint req, int fd, long off, int size)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        int r = AnswerFromFileCore(req, fd, off, size);
        Counted(before);
        return r;
    }

    private static int AnswerFromFileCore(nint req, int fd, long off, int size)
    {
        const string fn = "fastfuse_reply_data_fd";
        int rc = NativeRequests.Claim(req, out int i, out uint gen, out var claimed);
        if (rc != 0) return Refused(fn, rc);
        ref var e = ref NativeRequests.At(i);
        if (e.Op != Opcode.Read || size > e.Requested)
        {
            NativeRequests.Unclaim(i, gen, claimed);
            return Bad(e.Op != Opcode.Read ? $"{fn}: only READ is answered from a file" : $"{fn}: {size} bytes, but READ asked for {e.Requested}", Errno.EINVAL);
        }
        if (claimed == ReqState.InCallback)
        {
            e.Fd = fd;
            e.FdOff = off;
            e.Len = size;
            e.Errno = 0;
            NativeRequests.Answered(i, gen);
            return 0;
        }
        var buf = Scratch.Get(size);
        int got = 0, err = 0;
        fixed (byte* p = buf)
            while (got < size)
            {
                nint n = Interop.Libc.Pread(fd, p + got, (nuint)(size - got), off + got);
                if (n < 0) { err = Marshal.GetLastPInvokeError(); if (err == Errno.EINTR) continue; break; }
                if (n == 0) break;
                got += (int)n;
            }
        NativeRequests.SendDeferred(i, gen, err, buf[..got]);
        return 0;
    }
}

/// <summary>One growable native buffer per thread, for gathering an iovec list or reading a file range before a
/// deferred send. Reused: no allocation once it has grown to the largest reply this thread sends.</summary>
internal static unsafe class Scratch
{
    [ThreadStatic] private static byte* t_buf;
    [ThreadStatic] private static int t_cap;

    public static Span<byte> Get(int size)
    {
        if (size > t_cap)
        {
            int cap = Math.Max(size, 64 * 1024);
            t_buf = (byte*)NativeMemory.Realloc(t_buf, (nuint)cap);
            t_cap = cap;
        }
        return new Span<byte>(t_buf, size);
    }
}
