using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

/// <summary>fastfuse_req_*: what a callback may ask about its request, and the directory packing helpers for
/// answering READDIR later (fastfuse_add_direntry*, fastfuse_dir_size).</summary>
internal static unsafe class RequestExports
{
    [UnmanagedCallersOnly(EntryPoint = "fastfuse_req_interrupted")]
    public static int Interrupted(nint req)
    {
        try
        {
            if (!NativeRequests.IsLive(req, out int i)) return Fail("fastfuse_req_interrupted", Errno.EALREADY);
            ref var e = ref NativeRequests.At(i);
            return e.Session is { } s && s.Interrupts.IsInterrupted(e.Unique) ? 1 : 0;
        }
        catch (Exception ex) { return -LastError.FailErrno(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_req_interrupt_func")]
    public static int InterruptFunc(nint req, delegate* unmanaged<nint, void*, void> fn, void* data)
    {
        try
        {
            if (fn == null) return Fail("fastfuse_req_interrupt_func: fn is NULL", Errno.EINVAL);
            if (!NativeRequests.IsLive(req, out int i)) return Fail("fastfuse_req_interrupt_func", Errno.EALREADY);
            ref var e = ref NativeRequests.At(i);
            if (e.Session is not { } session) return Fail("fastfuse_req_interrupt_func: not a request from the kernel", Errno.EINVAL);
            if (Interlocked.Exchange(ref e.HasInterruptFn, 1) != 0) return Fail("fastfuse_req_interrupt_func: one is registered already", Errno.EBUSY);
            nint d = (nint)data;
            // Runs on a pool thread (Interrupts.Run); the token is checked again there, so a callback that comes
            // after the reply finds the request gone and is not called.
            session.Interrupts.OnInterrupt(e.Unique, () =>
            {
                if (NativeRequests.IsLive(req, out _)) fn(req, (void*)d);
            });
            return 0;
        }
        catch (Exception ex) { return -LastError.FailErrno(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_req_getgroups")]
    public static int Getgroups(nint req, int size, uint* list)
    {
        try
        {
            if (size < 0 || (list == null && size > 0)) return Fail("fastfuse_req_getgroups: bad list", Errno.EINVAL);
            if (!NativeRequests.IsLive(req, out int i)) return Fail("fastfuse_req_getgroups", Errno.EALREADY);
            uint pid = NativeRequests.At(i).Pid;
            string status;
            try { status = File.ReadAllText($"/proc/{pid}/status"); }
            catch (IOException) { return Fail($"fastfuse_req_getgroups: process {pid} is gone", Errno.ESRCH); }
            catch (UnauthorizedAccessException) { return Fail($"fastfuse_req_getgroups: /proc/{pid}/status is not readable", Errno.EPERM); }
            int n = 0;
            foreach (var line in status.Split('\n'))
            {
                if (!line.StartsWith("Groups:", StringComparison.Ordinal)) continue;
                foreach (var g in line[7..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (n < size) list[n] = uint.Parse(g, System.Globalization.CultureInfo.InvariantCulture);
                    n++;
                }
                return n;
            }
            return Fail($"fastfuse_req_getgroups: no Groups line in /proc/{pid}/status", Errno.EIO);
        }
        catch (Exception ex) { return -LastError.FailErrno(ex); }
    }

    // ---- packing directory entries for a later reply ------------------------------------------------------

    private const int DirentHeader = 24, EntryOutSize = 128;

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_add_direntry")]
    public static nuint AddDirentry(byte* buf, nuint size, byte* name, ulong ino, uint modeType, long nextOff)
    {
        try
        {
            if (!Name(name, out var n)) return 0;
            int need = (DirentHeader + n.Length + 7) & ~7;
            if ((nuint)need <= size && buf != null) new DirectoryReply(buf, need, plus: false).Add(n, ino, modeType, nextOff);
            return (nuint)need;
        }
        catch (Exception ex) { LastError.FailErrno(ex); return 0; }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_add_direntry_plus")]
    public static nuint AddDirentryPlus(byte* buf, nuint size, byte* name, FuseEntryOut* entry, long nextOff)
    {
        try
        {
            if (entry == null || !Name(name, out var n)) return 0;
            int need = (EntryOutSize + DirentHeader + n.Length + 7) & ~7;
            if ((nuint)need <= size && buf != null) new DirectoryReply(buf, need, plus: true).AddPlus(n, in *entry, nextOff);
            return (nuint)need;
        }
        catch (Exception ex) { LastError.FailErrno(ex); return 0; }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_dir_size")]
    public static nuint DirSize(DirectoryReply* db)
    {
        try { return db == null ? 0 : (nuint)db->Capacity; }
        catch { return 0; }
    }

    private static bool Name(byte* name, out ReadOnlySpan<byte> n)
    {
        n = name == null ? default : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
        if (n.Length is > 0 and <= 255) return true;
        LastError.Set($"fastfuse_add_direntry: a name must be 1..255 bytes (got {n.Length})");
        return false;
    }

    private static int Fail(string why, int errno)
    {
        LastError.Set(errno == Errno.EALREADY ? $"{why}: the request was answered already" : why);
        return -errno;
    }
}
