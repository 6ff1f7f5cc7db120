using System.Runtime.InteropServices;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Native;

/// <summary>
/// fastfuse_notify_*, the passthrough backing files and fastfuse_req_session: the session's Notifier and
/// BackingFiles for C. They return 0 (or an id) or a negative errno, with the reason in fastfuse_last_error().
/// </summary>
internal static unsafe class NotifyExports
{
    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_inval_inode")]
    public static int InvalInode(nint s, ulong ino, long off, long len) =>
        Call(s, "fastfuse_notify_inval_inode", session => session.Notify.InvalidateInode(ino, off, len));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_inval_entry")]
    public static int InvalEntry(nint s, ulong parent, byte* name, nuint namelen, int expireOnly)
    {
        if (!Name(name, namelen, "fastfuse_notify_inval_entry", out int bad)) return bad;
        return Call(s, "fastfuse_notify_inval_entry", session => session.Notify.InvalidateEntry(parent, new ReadOnlySpan<byte>(name, (int)namelen), expireOnly != 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_delete")]
    public static int Delete(nint s, ulong parent, ulong child, byte* name, nuint namelen)
    {
        if (!Name(name, namelen, "fastfuse_notify_delete", out int bad)) return bad;
        return Call(s, "fastfuse_notify_delete", session => session.Notify.Delete(parent, child, new ReadOnlySpan<byte>(name, (int)namelen)));
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_store")]
    public static int Store(nint s, ulong ino, long off, byte* data, nuint size)
    {
        if ((data == null && size != 0) || size > int.MaxValue) return Fail("fastfuse_notify_store: bad data", Errno.EINVAL);
        return Call(s, "fastfuse_notify_store", session => session.Notify.Store(ino, off, new ReadOnlySpan<byte>(data, (int)size)));
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_retrieve")]
    public static int Retrieve(nint s, ulong ino, long off, nuint size, delegate* unmanaged<void*, int, long, byte*, nuint, void> fn, void* data)
    {
        if (fn == null || size > int.MaxValue) return Fail("fastfuse_notify_retrieve: fn is NULL or size too large", Errno.EINVAL);
        nint d = (nint)data;
        return Call(s, "fastfuse_notify_retrieve", session =>
        {
            var task = session.Notify.RetrieveAsync(ino, off, (int)size);
            if (task.IsCompleted && task.Result.Errno != 0) return task.Result.Errno;   // refused at once: fn is not called
            task.ContinueWith(t =>
            {
                try
                {
                    if (!t.IsCompletedSuccessfully) { fn((void*)d, -Errno.EIO, off, null, 0); return; }
                    var r = t.Result;
                    fixed (byte* b = r.Data) fn((void*)d, -r.Errno, r.Offset, b, (nuint)r.Data.Length);
                }
                catch (Exception e) { Log.Error($"fastfuse_notify_retrieve callback: {e.GetType().Name}: {e.Message}"); }
            }, TaskScheduler.Default);
            return 0;
        });
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_poll")]
    public static int Poll(nint s, ulong kh) => Call(s, "fastfuse_notify_poll", session => session.Notify.PollWakeup(kh));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_resend")]
    public static int Resend(nint s) => Call(s, "fastfuse_notify_resend", session => session.Notify.Resend());

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_inc_epoch")]
    public static int IncEpoch(nint s) => Call(s, "fastfuse_notify_inc_epoch", session => session.Notify.IncrementEpoch());

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_notify_prune")]
    public static int Prune(nint s, ulong* nodeIds, nuint count)
    {
        if ((nodeIds == null && count != 0) || count > 1 << 20) return Fail("fastfuse_notify_prune: bad node list", Errno.EINVAL);
        return Call(s, "fastfuse_notify_prune", session => session.Notify.Prune(new ReadOnlySpan<ulong>(nodeIds, (int)count)));
    }

    // ---- passthrough ----------------------------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_backing_open")]
    public static int BackingOpen(nint s, int fd)
    {
        if (fd < 0) return Fail($"fastfuse_backing_open: bad fd {fd}", Errno.EBADF);
        int id = 0;
        int r = Call(s, "fastfuse_backing_open", session => session.Backing.Open(fd, out id));
        return r != 0 ? r : id;
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_backing_close")]
    public static int BackingClose(nint s, int backingId) =>
        Call(s, "fastfuse_backing_close", session => session.Backing.Close(backingId));

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_open_passthrough")]
    public static int OpenPassthrough(FuseOpenOut* open, int backingId)
    {
        if (open == null || backingId <= 0) return Fail("fastfuse_open_passthrough: NULL or a backing id <= 0", Errno.EINVAL);
        open->OpenFlags |= (uint)FopenFlags.Passthrough;
        open->BackingId = backingId;
        return 0;
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_req_session")]
    public static nint ReqSession(nint req)
    {
        try { return NativeRequests.IsLive(req, out int i) && NativeRequests.At(i).Fs is { } fs ? fs.Handle : 0; }
        catch { return 0; }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /// <summary>Run <paramref name="op"/> (0 or a positive errno) on the session behind <paramref name="s"/>.</summary>
    private static int Call(nint s, string fn, Func<FuseSession, int> op)
    {
        try
        {
            if (Exports.Get(s, fn) is not { } ns) return -Errno.EINVAL;
            int r = op(ns.Session);
            if (r != 0) LastError.Set($"{fn}: {Errno.Name(r)}");
            return -r;
        }
        catch (Exception e) { return -LastError.FailErrno(e); }
    }

    private static bool Name(byte* name, nuint len, string fn, out int bad)
    {
        bad = 0;
        if (name != null && len is > 0 and <= 255) return true;
        bad = Fail($"{fn}: a name must be 1..255 bytes", Errno.EINVAL);
        return false;
    }

    private static int Fail(string why, int errno)
    {
        LastError.Set(why);
        return -errno;
    }
}
