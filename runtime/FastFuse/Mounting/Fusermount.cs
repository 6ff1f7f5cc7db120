using System.Diagnostics;
using System.Runtime.InteropServices;
using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Mounting;

/// <summary>
/// Mounting without root: fusermount3 (setuid) opens /dev/fuse, mounts, and passes the fd back over a unix
/// socket (SCM_RIGHTS) named by the environment variable _FUSE_COMMFD.
/// </summary>
internal static unsafe class Fusermount
{
    public static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(new[] { "/usr/bin", "/bin", "/usr/local/bin" }))
        {
            if (dir.Length == 0) continue;
            string p = System.IO.Path.Combine(dir, "fusermount3");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    public static int Run(string exe, string[] args, Dictionary<string, string>? env, out string stderr)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi) ?? throw new MountException($"could not start {exe}");
        stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            throw new MountException($"{exe} did not finish within 30 s");
        }
        return p.ExitCode;
    }

    /// <summary>
    /// Mount through fusermount3; returns the /dev/fuse fd it passed back. With auto_unmount fusermount3 stays
    /// after passing the fd, watching its socket: <paramref name="guard"/> holds our end for the mount's life.
    /// </summary>
    public static int Mount(string mountpoint, MountOptions options, out AutoUnmountGuard? guard)
    {
        guard = null;
        string exe = Find() ?? throw new MountException(options.AutoUnmount
            ? "auto_unmount needs fusermount3 here (install the fuse3 package)"
            : "fusermount3 not found (install the fuse3 package), and not running as root");
        int* sv = stackalloc int[2];
        // The child's end must survive exec, so no SOCK_CLOEXEC on it; ours gets it after the call.
        if (Libc.Socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM, 0, sv) < 0)
            throw new MountException($"socketpair: {Errno.Name(Libc.Errno)}");
        // Ours must not reach fusermount3: with auto_unmount it waits for the socket to close, which it never
        // would while it held our end itself.
        Libc.Fcntl(sv[0], 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        if (options.AutoUnmount) return MountStaying(exe, mountpoint, options, sv, out guard);
        try
        {
            var env = new Dictionary<string, string> { ["_FUSE_COMMFD"] = sv[1].ToString(System.Globalization.CultureInfo.InvariantCulture) };
            int code = Run(exe, new[] { "-o", options.FusermountOptions(), "--", mountpoint }, env, out string err);
            Libc.Close(sv[1]);
            sv[1] = -1;
            if (code != 0)
                throw new MountException($"fusermount3 failed: {err.Trim().Replace('\n', ' ')}");
            int fd = ReceiveFd(sv[0]);
            if (fd < 0) throw new MountException($"fusermount3 mounted but passed back no file descriptor ({Errno.Name(-fd)})");
            return fd;
        }
        finally
        {
            Libc.Close(sv[0]);
            if (sv[1] >= 0) Libc.Close(sv[1]);
        }
    }

    /// <summary>
    /// fusermount3 -o auto_unmount: it passes the fd and stays until the socket closes (this process's death, or
    /// the guard's Disarm after a clean unmount), then unmounts. Its output is collected, for the error line if it
    /// fails before passing the fd.
    /// </summary>
    private static int MountStaying(string exe, string mountpoint, MountOptions options, int* sv, out AutoUnmountGuard? guard)
    {
        guard = null;
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-o", options.FusermountOptions(), "--", mountpoint }) psi.ArgumentList.Add(a);
        psi.Environment["_FUSE_COMMFD"] = sv[1].ToString(System.Globalization.CultureInfo.InvariantCulture);
        var errors = new List<string>();
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new MountException($"could not start {exe}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Libc.Close(sv[0]);
            Libc.Close(sv[1]);
            throw new MountException($"could not start {exe}: {e.Message}");
        }
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Libc.Close(sv[1]);
        int fd = ReceiveFd(sv[0]);             // 0 bytes (fusermount3 exited) if it failed
        if (fd < 0)
        {
            Libc.Close(sv[0]);
            p.WaitForExit(30_000);
            p.WaitForExit();                   // the output readers reach their end
            string err;
            lock (errors) err = string.Join(' ', errors).Trim();
            p.Dispose();
            throw new MountException($"fusermount3 failed: {(err.Length > 0 ? err : Errno.Name(-fd))}");
        }
        guard = new FusermountGuard(sv[0], p);
        return fd;
    }

    private static int ReceiveFd(int sock)
    {
        byte data;
        IoVec iov = new(&data, 1);
        const int controlLen = 24; // CMSG_SPACE(sizeof(int)) on x86_64: 16-byte header + 4 bytes, aligned to 8
        byte* control = stackalloc byte[controlLen];
        new Span<byte>(control, controlLen).Clear();
        MsgHdr msg = default;
        msg.Iov = &iov;
        msg.IovLen = 1;
        msg.Control = control;
        msg.ControlLen = controlLen;
        nint n;
        do n = Libc.Recvmsg(sock, &msg, 0); while (n < 0 && Libc.Errno == Errno.EINTR);
        if (n < 0) return -Libc.Errno;
        if (n == 0) return -Errno.ECONNRESET;
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the fd.
        nuint len = *(nuint*)control;
        int level = *(int*)(control + 8);
        int type = *(int*)(control + 12);
        if (len < 20 || level != Libc.SOL_SOCKET || type != Libc.SCM_RIGHTS) return -Errno.EPROTO;
        int fd = *(int*)(control + 16);
        Libc.Fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        return fd;
    }
}
