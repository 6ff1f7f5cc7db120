using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

/// <summary>
/// fastfuse_reply_* and fastfuse_req_*: answering a request through its token (<see cref="NativeRequests"/>), inside
/// its callback (written into the callback's out arguments, sent by the worker when the callback returns) or later
/// (sent through the transport that read the request). Every export catches everything; failures are -errno with
/// the reason in fastfuse_last_error().
/// </summary>
internal static unsafe partial class ReplyExports
{
    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_err")]
    public static int ReplyErr(nint req, int err)
    {
        try
        {
            if (err < 0) err = -err;
            if (err >= 4096) return Bad($"fastfuse_reply_err: {err} is not an errno", Errno.EINVAL);
            return Answer(req, "fastfuse_reply_err", err == 0 ? ReplyTarget.Status : ErrorReply, err, default);
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_entry")]
    public static int ReplyEntry(nint req, FuseEntryOut* entry) =>
        Struct(req, "fastfuse_reply_entry", ReplyTarget.Entry, entry, sizeof(FuseEntryOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_attr")]
    public static int ReplyAttr(nint req, FuseAttrOut* attr) =>
        Struct(req, "fastfuse_reply_attr", ReplyTarget.Attr, attr, sizeof(FuseAttrOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_open")]
    public static int ReplyOpen(nint req, FuseOpenOut* open) =>
        Struct(req, "fastfuse_reply_open", ReplyTarget.Open, open, sizeof(FuseOpenOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_statfs")]
    public static int ReplyStatfs(nint req, FuseStatfsOut* st) =>
        Struct(req, "fastfuse_reply_statfs", ReplyTarget.Statfs, st, sizeof(FuseStatfsOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_lock")]
    public static int ReplyLock(nint req, FuseLkOut* lk) =>
        Struct(req, "fastfuse_reply_lock", ReplyTarget.Lock, lk, sizeof(FuseLkOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_create")]
    public static int ReplyCreate(nint req, FuseEntryOut* entry, FuseOpenOut* open)
    {
        try
        {
            if (entry == null || open == null) return Bad("fastfuse_reply_create: NULL argument", Errno.EINVAL);
            // The kernel's CREATE answer is fuse_entry_out followed by fuse_open_out.
            byte* both = stackalloc byte[sizeof(FuseEntryOut) + sizeof(FuseOpenOut)];
            Unsafe.WriteUnaligned(both, *entry);
            Unsafe.WriteUnaligned(both + sizeof(FuseEntryOut), *open);
            return Answer(req, "fastfuse_reply_create", ReplyTarget.Create, 0, new ReadOnlySpan<byte>(both, sizeof(FuseEntryOut) + sizeof(FuseOpenOut)));
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_buf")]
    public static int ReplyBuf(nint req, byte* data, nuint size)
    {
        try
        {
            if (data == null && size != 0) return Bad("fastfuse_reply_buf: data is NULL", Errno.EINVAL);
            if (size > int.MaxValue) return Bad("fastfuse_reply_buf: size is too large", Errno.EINVAL);
            return Answer(req, "fastfuse_reply_buf", ReplyTarget.Data, 0, new ReadOnlySpan<byte>(data, (int)size));
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_iov")]
    public static int ReplyIov(nint req, Interop.IoVec* iov, int count)
    {
        try
        {
            if (count < 0 || count > 1024 || (iov == null && count != 0)) return Bad($"fastfuse_reply_iov: bad iovec list ({count} segments)", Errno.EINVAL);
            long total = 0;
            for (int k = 0; k < count; k++)
            {
                if (iov[k].Base == null && iov[k].Length != 0) return Bad($"fastfuse_reply_iov: segment {k} is NULL", Errno.EINVAL);
                total += (long)iov[k].Length;
                if (total > 1 << 26) return Bad("fastfuse_reply_iov: more data than any request asks for", Errno.EINVAL);
            }
            // Gathered into this thread's scratch buffer, then answered as fastfuse_reply_buf (one copy more, in
            // exchange for one path for every target: data room, directory reply, xattr value, deferred send).
            var gathered = Scratch.Get((int)total);
            int at = 0;
            for (int k = 0; k < count; k++)
            {
                new ReadOnlySpan<byte>(iov[k].Base, (int)iov[k].Length).CopyTo(gathered[at..]);
                at += (int)iov[k].Length;
            }
            return Answer(req, "fastfuse_reply_iov", ReplyTarget.Data, 0, gathered[..at]);
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_data_fd")]
    public static int ReplyDataFd(nint req, int fd, long off, nuint size)
    {
        try
        {
            if (fd < 0 || off < 0 || size > int.MaxValue) return Bad($"fastfuse_reply_data_fd: bad fd {fd}, offset {off} or size {size}", Errno.EINVAL);
            return AnswerFromFile(req, fd, off, (int)size);
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_xattr")]
    public static int ReplyXattr(nint req, nuint size) =>
        Value(req, "fastfuse_reply_xattr", ReplyTarget.Xattr, size > uint.MaxValue ? -1 : (long)size);

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_write")]
    public static int ReplyWrite(nint req, ulong count) =>
        Value(req, "fastfuse_reply_write", ReplyTarget.Write, count > long.MaxValue ? -1 : (long)count);

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_lseek")]
    public static int ReplyLseek(nint req, long off) => Value(req, "fastfuse_reply_lseek", ReplyTarget.Lseek, off);

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_bmap")]
    public static int ReplyBmap(nint req, ulong block) =>
        Value(req, "fastfuse_reply_bmap", ReplyTarget.Bmap, (long)block);

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_statx")]
    public static int ReplyStatx(nint req, FuseStatxOut* statx) =>
        Struct(req, "fastfuse_reply_statx", ReplyTarget.Statx, statx, sizeof(FuseStatxOut));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_poll")]
    public static int ReplyPoll(nint req, uint revents) => Value(req, "fastfuse_reply_poll", ReplyTarget.Poll, revents);

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_reply_ioctl")]
    public static int ReplyIoctl(nint req, int result, byte* data, nuint size)
    {
        try
        {
            if (result < 0) return Bad("fastfuse_reply_ioctl: a negative result is an error: use fastfuse_reply_err", Errno.EINVAL);
            if ((data == null && size != 0) || size > int.MaxValue) return Bad("fastfuse_reply_ioctl: bad data", Errno.EINVAL);
            return Answer(req, "fastfuse_reply_ioctl", ReplyTarget.Ioctl, 0, new ReadOnlySpan<byte>(data, (int)size), result);
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    // ---- the shapes ---------------------------------------------------------------------------------------

    /// <summary>Not a target: <see cref="Answer"/>'s marker for an error, which fits every request.</summary>
    private const ReplyTarget ErrorReply = (ReplyTarget)255;

    private static int Struct(nint req, string fn, ReplyTarget kind, void* p, int size)
    {
        try
        {
            if (p == null) return Bad($"{fn}: NULL argument", Errno.EINVAL);
            return Answer(req, fn, kind, 0, new ReadOnlySpan<byte>(p, size));
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    private static int Value(nint req, string fn, ReplyTarget kind, long value)
    {
        try
        {
            if (value < 0 && kind != ReplyTarget.Lseek) return Bad($"{fn}: value out of range", Errno.EINVAL);
            return Answer(req, fn, kind, 0, default, value);
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    private static int Bad(string why, int errno)
    {
        LastError.Set(why);
        return -errno;
    }
}
