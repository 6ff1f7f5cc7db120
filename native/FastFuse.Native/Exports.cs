using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Api;
using FastFuse.Kernel;
using FastFuse.Mounting;
using FastFuse.Session;

namespace FastFuse.Native;

/// <summary>What a <c>fastfuse_session*</c> points at (through a GCHandle): the session and whether it serves yet.</summary>
internal sealed class NativeSession(FuseSession session)
{
    public readonly FuseSession Session = session;
    public int Started;
}

/// <summary>
/// The functions of fastfuse.h. Every one catches every exception: nothing managed crosses into C. Failures come
/// back as NULL or an errno, with the reason in <see cref="LastError"/>.
/// </summary>
internal static unsafe class Exports
{
    // ---- sessions -----------------------------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_mount")]
    public static nint Mount(byte* mountpoint, byte* options, NativeOps* ops, nuint opsSize, void* userdata, int threads)
    {
        try
        {
            LastError.Clear();
            if (mountpoint == null) return LastError.Fail("fastfuse_mount: mountpoint is NULL");
            if (ops == null) return LastError.Fail("fastfuse_mount: ops is NULL");
            if (opsSize == 0 || opsSize % (nuint)sizeof(nint) != 0)
                return LastError.Fail($"fastfuse_mount: ops_size {opsSize} is not sizeof(struct fastfuse_ops) (this library's is {sizeof(NativeOps)})");
            if (threads < 0 || threads > 256) return LastError.Fail($"fastfuse_mount: threads must be 0..256 (got {threads})");

            string path = Utf8(mountpoint);
            var sessionOptions = new SessionOptions();
            if (threads > 0) sessionOptions.Threads = threads;
            var (mountOptions, debug) = ParseOptions(options == null ? "" : Utf8(options), sessionOptions, threadsGiven: threads > 0);
            if (debug) Log.Level = LogLevel.Debug;

            var fs = new NativeFileSystem(ops, opsSize, userdata) { WantWritebackCache = mountOptions.WritebackCache };
            return Handle(fs, FuseSession.Mount(fs, path, mountOptions, sessionOptions));
        }
        catch (Exception e)
        {
            return LastError.Fail(e);
        }
    }

    /// <summary>The <c>fastfuse_session*</c> for a new session, also known to its filesystem (fastfuse_req_session).</summary>
    private static nint Handle(NativeFileSystem fs, FuseSession session)
    {
        nint h = GCHandle.ToIntPtr(GCHandle.Alloc(new NativeSession(session)));
        fs.Handle = h;
        s_live[h] = 0;
        return h;
    }

    /// <summary>The handles fastfuse_destroy has not freed yet. A handle is looked up here before GCHandle.FromIntPtr
    /// touches it, so a destroyed or made-up one is refused (EINVAL) instead of followed.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<nint, byte> s_live = new();

    /// <summary>The options fastfuse_mount_fd takes: the session's own; everything else belongs to a mount(2) made already.</summary>
    private static readonly string[] s_fdOptions = ["threads", "spin", "max_write", "transport", "uring_depth", "no_splice_read", "debug", "-d"];

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_mount_fd")]
    public static nint MountFd(int fd, byte* options, NativeOps* ops, nuint opsSize, void* userdata, int threads)
    {
        try
        {
            LastError.Clear();
            if (fd < 0) return LastError.Fail($"fastfuse_mount_fd: bad fd {fd}");
            if (ops == null) return LastError.Fail("fastfuse_mount_fd: ops is NULL");
            if (opsSize == 0 || opsSize % (nuint)sizeof(nint) != 0)
                return LastError.Fail($"fastfuse_mount_fd: ops_size {opsSize} is not sizeof(struct fastfuse_ops) (this library's is {sizeof(NativeOps)})");
            if (threads < 0 || threads > 256) return LastError.Fail($"fastfuse_mount_fd: threads must be 0..256 (got {threads})");
            if (Interop.Libc.Fcntl(fd, Interop.Libc.F_GETFL, 0) < 0) return LastError.Fail($"fastfuse_mount_fd: fd {fd} is not open");
            string list = options == null ? "" : Utf8(options);
            foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                string key = item.Split('=')[0].Trim();
                if (!s_fdOptions.Contains(key))
                    return LastError.Fail($"fastfuse_mount_fd: '{key}' is a mount option, and the filesystem is mounted already (only {string.Join(", ", s_fdOptions[..^1])} apply)");
            }
            var sessionOptions = new SessionOptions();
            if (threads > 0) sessionOptions.Threads = threads;
            var (_, debug) = ParseOptions(list, sessionOptions, threadsGiven: threads > 0);
            if (debug) Log.Level = LogLevel.Debug;
            var fs = new NativeFileSystem(ops, opsSize, userdata);
            return Handle(fs, FuseSession.FromChannel(fs, new Transport.DevFuse.DevFuseChannel(fd, owned: true), sessionOptions));
        }
        catch (Exception e)
        {
            return LastError.Fail(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_run")]
    public static int Run(nint handle)
    {
        try
        {
            if (Get(handle, "fastfuse_run") is not { } s) return Errno.EINVAL;
            if (Interlocked.Exchange(ref s.Started, 1) == 0) s.Session.RunHere();   // the first loop on this thread
            else s.Session.Wait();
            return 0;
        }
        catch (Exception e)
        {
            return LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_start")]
    public static int Start(nint handle)
    {
        try
        {
            if (Get(handle, "fastfuse_start") is not { } s) return Errno.EINVAL;
            if (Interlocked.Exchange(ref s.Started, 1) != 0)
            {
                LastError.Set("fastfuse_start: the session is already serving");
                return Errno.EINVAL;
            }
            s.Session.Start();
            return 0;
        }
        catch (Exception e)
        {
            return LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_unmount")]
    public static int Unmount(nint handle, int lazy)
    {
        try
        {
            if (Get(handle, "fastfuse_unmount") is not { } s) return Errno.EINVAL;
            int r = s.Session.Unmount(lazy != 0);
            if (r != 0) LastError.Set($"fastfuse_unmount: {Errno.Name(r)}{(r == Errno.EBUSY ? " (files are open: unmount lazily)" : "")}");
            return r;
        }
        catch (Exception e)
        {
            return LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_destroy")]
    public static void Destroy(nint handle)
    {
        try
        {
            if (handle == 0 || !s_live.TryRemove(handle, out _)) return;
            var h = GCHandle.FromIntPtr(handle);
            if (h.Target is NativeSession s) s.Session.Dispose();
            h.Free();
        }
        catch (Exception e)
        {
            LastError.Fail(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_stats")]
    public static int StatsText(nint handle, byte* buf, nuint size)
    {
        try
        {
            if (Get(handle, "fastfuse_stats") is not { } s) return -Errno.EINVAL;
            if (buf == null && size != 0) { LastError.Set("fastfuse_stats: buf is NULL"); return -Errno.EINVAL; }
            byte[] text = Encoding.UTF8.GetBytes(s.Session.Stats.Format());
            if (size > 0)
            {
                int n = (int)Math.Min((nuint)text.Length, size - 1);
                text.AsSpan(0, n).CopyTo(new Span<byte>(buf, n));
                buf[n] = 0;
            }
            return text.Length;
        }
        catch (Exception e)
        {
            return -LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_last_error")]
    public static byte* LastErrorText() => LastError.Current;

    private const string VersionText = $"fastfuse {BuildInfo.Version} (FUSE {BuildInfo.Protocol})";
    // NUL-terminated, on the pinned object heap (it never moves) and held by a static field for the life of the
    // process: the pointer fastfuse_version() hands out stays valid for ever, as the header promises.
    private static readonly byte[] s_version = PinnedUtf8Z(VersionText);

    private static byte[] PinnedUtf8Z(string s)
    {
        var bytes = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(s) + 1, pinned: true);
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_version")]
    public static byte* Version() => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_version));

    // ---- directory entries (called from inside a readdir callback) ----------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_dir_add")]
    public static int DirAdd(DirectoryReply* db, byte* name, ulong ino, uint modeType, long nextOff)
    {
        try
        {
            if (db == null || name == null) return Bad("fastfuse_dir_add: NULL argument", Errno.EINVAL);
            var n = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
            if (n.Length == 0 || n.Length > 255) return Bad($"fastfuse_dir_add: a name must be 1..255 bytes (got {n.Length})", Errno.ENAMETOOLONG);
            return db->Add(n, ino, modeType, nextOff) ? 1 : 0;
        }
        catch (Exception e)
        {
            return -LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_dir_add_plus")]
    public static int DirAddPlus(DirectoryReply* db, byte* name, FuseEntryOut* entry, long nextOff)
    {
        try
        {
            if (db == null || name == null || entry == null) return Bad("fastfuse_dir_add_plus: NULL argument", Errno.EINVAL);
            var n = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
            if (n.Length == 0 || n.Length > 255) return Bad($"fastfuse_dir_add_plus: a name must be 1..255 bytes (got {n.Length})", Errno.ENAMETOOLONG);
            return db->AddPlus(n, in *entry, nextOff) ? 1 : 0;
        }
        catch (Exception e)
        {
            return -LastError.FailErrno(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "fastfuse_dir_is_plus")]
    public static int DirIsPlus(DirectoryReply* db)
    {
        try
        {
            return db != null && db->IsPlus ? 1 : 0;
        }
        catch
        {
            return 0;
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static int Bad(string why, int errno)
    {
        LastError.Set(why);
        return -errno;
    }

    internal static NativeSession? Get(nint handle, string fn)
    {
        if (handle == 0)
        {
            LastError.Set($"{fn}: session is NULL");
            return null;
        }
        if (s_live.ContainsKey(handle) && GCHandle.FromIntPtr(handle).Target is NativeSession s) return s;
        LastError.Set($"{fn}: not a session (destroyed already?)");
        return null;
    }

    private static string Utf8(byte* s) => Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s));

    /// <summary>The "-o" list for <see cref="MountOptions"/>, less "debug" (a leading "-o" is allowed too).</summary>
    /// <summary>The option list of fastfuse_mount: the CLI's mount options, plus "debug" and the session's own
    /// threads=N, spin=US and max_write=BYTES (set into <paramref name="session"/>, as transport, uring_depth and
    /// no_splice_read are by <see cref="MountOptions.ApplyTo"/>).</summary>
    internal static (MountOptions Options, bool Debug) ParseOptions(string list, SessionOptions session, bool threadsGiven)
    {
        list = list.Trim();
        if (list.StartsWith("-o", StringComparison.Ordinal)) list = list[2..].TrimStart();
        bool debug = false;
        var kept = new List<string>();
        string[] parts = list.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            bool escaped = i > 0 && parts[i - 1].EndsWith('\\'); // "fsname=a\,debug": part of a value
            if (!escaped && parts[i] is "debug" or "-d") { debug = true; continue; }
            if (!escaped && SessionOption(parts[i], session, threadsGiven)) continue;
            kept.Add(parts[i]);
        }
        foreach (var item in kept)
        {
            string key = item.Split('=')[0].Trim();
            if (s_theFilesystemsOwn.TryGetValue(key, out var instead))
                throw new MountException($"option '{key}' is one the fastfuse command's filesystems act on; a C filesystem does it itself: {instead}");
        }
        var options = MountOptions.Parse(string.Join(',', kept));
        options.ApplyTo(session);
        return (options, debug);
    }

    /// <summary>Options of the fastfuse command that its filesystems (MemFs, LoopbackFs) carry out, not the runtime: a
    /// C filesystem answers for them itself, so the C ABI refuses them (with how) rather than accept and ignore them.</summary>
    private static readonly Dictionary<string, string> s_theFilesystemsOwn = new()
    {
        ["entry_timeout"] = "set entry_valid in the entry replies",
        ["attr_timeout"] = "set attr_valid in the attribute and entry replies",
        ["negative_timeout"] = "answer LOOKUP with nodeid 0 and entry_valid set (a cached negative entry)",
        ["direct_io"] = "set FOPEN_DIRECT_IO in the open replies",
        ["kernel_cache"] = "set FOPEN_KEEP_CACHE in the open replies",
        ["auto_cache"] = "set FOPEN_KEEP_CACHE while the file is unchanged, or fastfuse_notify_inval_inode when it changes",
        ["passthrough"] = "fastfuse_backing_open and fastfuse_open_passthrough in the open replies",
        ["size"] = "it is memfs's limit on its data",
        ["nr_inodes"] = "it is memfs's limit on its files",
    };

    /// <summary>threads=N (1–256), spin=US (0–1,000,000 µs a worker polls before sleeping), max_write=BYTES
    /// (4096 to 1 MiB): true when <paramref name="item"/> was one of them; a bad value is a MountException.</summary>
    private static bool SessionOption(string item, SessionOptions session, bool threadsGiven)
    {
        int eq = item.IndexOf('=');
        if (eq < 0) return false;
        string key = item[..eq], value = item[(eq + 1)..];
        long Number(long min, long max) =>
            long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) && n >= min && n <= max
                ? n : throw new MountException($"option '{key}' needs a whole number from {min} to {max} (got '{value}')");
        switch (key)
        {
            case "threads" when threadsGiven:
                throw new MountException("fastfuse_mount: threads given twice, as the argument and as the threads= option");
            case "threads": session.Threads = (int)Number(1, 256); return true;
            case "spin": session.Spin = TimeSpan.FromMicroseconds(Number(0, 1_000_000)); return true;
            case "max_write": session.MaxWrite = (uint)Number(4096, 1 << 20); return true;   // 256 pages, the kernel's most
            default: return false;
        }
    }
}

/// <summary>fastfuse_last_error: one message per thread, in native memory, replaced by the next failure.</summary>
internal static unsafe class LastError
{
    [ThreadStatic] private static byte* t_message;

    public static byte* Current
    {
        get
        {
            byte* m = t_message;
            return m != null ? m : (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("\0"u8));
        }
    }

    public static void Clear()
    {
        NativeMemory.Free(t_message);
        t_message = null;
    }

    public static void Set(string message)
    {
        Clear();
        int n = Encoding.UTF8.GetByteCount(message);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(message, new Span<byte>(p, n));
        p[n] = 0;
        t_message = p;
    }

    /// <summary>Record <paramref name="message"/>; returns NULL for the caller to return.</summary>
    public static nint Fail(string message)
    {
        Set(message);
        return 0;
    }

    public static nint Fail(Exception e)
    {
        Set(Describe(e));
        return 0;
    }

    /// <summary>Record the exception; returns a positive errno that fits it.</summary>
    public static int FailErrno(Exception e)
    {
        Set(Describe(e));
        return e switch
        {
            ObjectDisposedException => Errno.EBADF,
            InvalidOperationException or ArgumentException => Errno.EINVAL,
            OutOfMemoryException => Errno.ENOMEM,
            _ => Errno.EIO,
        };
    }

    private static string Describe(Exception e) => e is MountException ? e.Message : $"{e.GetType().Name}: {e.Message}";
}
