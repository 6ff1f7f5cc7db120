using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Native;

/// <summary>
/// The C ABI (libfastfuse.so, native/include/fastfuse.h) from the outside: C programs built with cc against the
/// published library mount through the kernel, and the library's exports are called in-process through
/// NativeLibrary. The library is built by native/build.sh when out/native/libfastfuse.so is missing or older
/// than its sources (about a minute).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed unsafe class NativeAbiTests
{
    private const int SIGINT = 2, SIGTERM = 15;
    private const int EINVAL = 22, ENOSYS = 38, EIO = 5, ERANGE = 34;

    // ---- through the kernel -----------------------------------------------------------------------------------

    [MountFact]
    public void HelloCServesItsFileAndUnmountsOnSigint()
    {
        string exe = NativeBuild.CompileC(Path.Combine(NativeBuild.Repo, "native", "examples", "hello.c"), "hello");
        using var mnt = new TempDir();
        using var p = ChildProcess.Start(exe, mnt.Path);
        Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), "hello did not start\n" + p.AllOutput);

        Assert.Equal("Hello from C\n", File.ReadAllText(Path.Combine(mnt.Path, "hello")));
        Assert.Equal(new[] { "hello" }, Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                     File.GetUnixFileMode(Path.Combine(mnt.Path, "hello")));
        Assert.False(File.Exists(Path.Combine(mnt.Path, "missing")));
        Assert.Equal(-1, Libc.access(Path.Combine(mnt.Path, "missing"), 0));

        p.Signal(SIGINT);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "hello did not exit on SIGINT\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.False(MountTable.IsMounted(mnt.Path), "still mounted after exit");
    }

    /// <summary>Most of the callback table from C: readlink, xattrs, write, setattr, READDIRPLUS, NULL callbacks
    /// (ENOSYS), a positive return (EIO), init and destroy, the struct sizes the header promises.</summary>
    /// <summary>The C filesystem of <see cref="AbiFsSource"/>, compiled against the library as <paramref name="name"/>.</summary>
    private static string CompileAbiFs(string name)
    {
        string src = Path.Combine(Path.GetTempPath(), $"fastfuse-{name}-{Environment.ProcessId}.c");
        File.WriteAllText(src, AbiFsSource);
        try { return NativeBuild.CompileC(src, name); }
        finally { File.Delete(src); }
    }

    [MountFact]
    public void CallbackTableWorksFromC()
    {
        string exe = CompileAbiFs("abi_fs");

        using var mnt = new TempDir();
        using var p = ChildProcess.Start(exe, mnt.Path);
        Assert.True(p.WaitForStdout(l => l.StartsWith("serving"), TimeSpan.FromSeconds(20)), "abi_fs did not start\n" + p.AllOutput);
        string F(string name) => Path.Combine(mnt.Path, name);

        Assert.Equal(new[] { "data", "link", "sink" }, Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).Order().ToArray());
        Assert.Equal("0123456789", File.ReadAllText(F("data")));
        using (var fs = new FileStream(F("data"), FileMode.Open, FileAccess.Read))
        {
            fs.Position = 7;
            var buf = new byte[100];
            Assert.Equal(3, fs.Read(buf));   // short read at the end of the file
            Assert.Equal("789", Encoding.ASCII.GetString(buf, 0, 3));
        }

        Assert.Equal("data", new FileInfo(F("link")).LinkTarget);
        Assert.Equal("0123456789", File.ReadAllText(F("link")));

        byte* x = stackalloc byte[64];
        Assert.Equal(4, (int)Libc.getxattr(F("data"), "user.color", null, 0));            // size probe
        Assert.Equal(4, (int)Libc.getxattr(F("data"), "user.color", x, 64));
        Assert.Equal("blue", Encoding.ASCII.GetString(x, 4));
        Assert.Equal(-1, (int)Libc.getxattr(F("data"), "user.color", x, 2));
        Assert.Equal(ERANGE, Marshal.GetLastPInvokeError());
        Assert.Equal(11, (int)Libc.listxattr(F("data"), x, 64));
        Assert.Equal("user.color\0", Encoding.ASCII.GetString(x, 11));

        File.WriteAllText(F("sink"), "written through C");
        Assert.Equal(17, new FileInfo(F("sink")).Length);
        Libc.truncate(F("sink"), 5);
        Assert.Equal(5, new FileInfo(F("sink")).Length);

        Assert.Equal(-1, Libc.mkdir(F("newdir"), 0x1ed));   // NULL callback
        Assert.Equal(ENOSYS, Marshal.GetLastPInvokeError());
        Assert.Equal(-1, Libc.access(F("broken"), 0));      // lookup returns a positive number: a bug, EIO
        Assert.Equal(EIO, Marshal.GetLastPInvokeError());

        p.Signal(SIGTERM);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "abi_fs did not exit on SIGTERM\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.Contains(p.Stdout, l => l.StartsWith("init proto 7.") && l.Contains("max_write"));
        Assert.Contains("destroy", p.Stdout);
        Assert.False(MountTable.IsMounted(mnt.Path));
        // fastfuse_stats_get: the counters as numbers, and an older caller's smaller struct left alone past its size.
        var line = p.Stdout.Single(l => l.StartsWith("stats ", StringComparison.Ordinal));
        var f = line.Split(' ').Skip(1).Select(kv => kv.Split('=')).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.StartsWith("stats v2 ", line);
        Assert.True(long.Parse(f["requests"]) > 10, line);
        Assert.True(long.Parse(f["lookup"]) >= 3, line);
        Assert.True(long.Parse(f["read"]) >= 2, line);
        Assert.Equal("1/1", f["mkdir"]);                  // one MKDIR, answered ENOSYS
        Assert.True(int.Parse(f["depth"]) >= 1, line);
        Assert.Contains("old size=16 guard=77", p.Stdout);
    }

    /// <summary>The session's options in fastfuse_mount's option string reach the session: transport, uring_depth,
    /// threads, max_write (as the init callback sees it) and spin.</summary>
    [MountFact]
    public void SessionOptionsInTheOptionString_TakeEffect()
    {
        string exe = CompileAbiFs("abi_fs_opts");
        using var mnt = new TempDir();
        using var p = ChildProcess.Start(exe, mnt.Path, "fsname=abi_fs,transport=uring,uring_depth=3,threads=1,spin=0,max_write=65536");
        Assert.True(p.WaitForStdout(l => l.StartsWith("serving"), TimeSpan.FromSeconds(20)), "abi_fs did not start\n" + p.AllOutput);
        Assert.Equal("0123456789", File.ReadAllText(Path.Combine(mnt.Path, "data")));
        p.Signal(SIGTERM);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "abi_fs did not exit on SIGTERM\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.Contains("transport: uring", p.Stdout);
        Assert.Contains(p.Stdout, l => l.StartsWith("stats ", StringComparison.Ordinal) && l.EndsWith(" depth=3", StringComparison.Ordinal));
        Assert.Contains(p.Stdout, l => l.StartsWith("init proto 7.", StringComparison.Ordinal) && l.EndsWith(" max_write=65536", StringComparison.Ordinal));
    }

    // ---- in-process: the exports without a mount ---------------------------------------------------------------

    [Fact]
    public void MountOnAMissingMountpointReturnsNullWithTheReason()
    {
        var lib = NativeBuild.Load();
        string missing = Path.Combine(Path.GetTempPath(), $"fastfuse-missing-{Guid.NewGuid():N}");
        nint* ops = stackalloc nint[OpsCount];
        new Span<nint>(ops, OpsCount).Clear();

        Assert.Equal(0, lib.Mount(missing, null, ops, OpsSize, 0));
        Assert.Equal($"mountpoint {missing} does not exist", lib.LastError());
    }

    [Fact]
    public void BadArgumentsAreErrorsNotCrashes()
    {
        var lib = NativeBuild.Load();
        nint* ops = stackalloc nint[OpsCount];
        new Span<nint>(ops, OpsCount).Clear();
        using var dir = new TempDir();

        Assert.Equal(0, lib.Mount(dir.Path, "ro,bogus_option", ops, OpsSize, 0));
        Assert.Contains("unknown mount option 'bogus_option'", lib.LastError());
        Assert.Equal(0, lib.Mount(null, null, ops, OpsSize, 0));
        Assert.Contains("mountpoint is NULL", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, null, null, OpsSize, 0));
        Assert.Contains("ops is NULL", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, null, ops, 3, 0));
        Assert.Contains("ops_size 3", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, null, ops, OpsSize, -1));
        Assert.Contains("threads", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "spin=abc", ops, OpsSize, 0));
        Assert.Contains("option 'spin' needs a whole number", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "max_write=100", ops, OpsSize, 0));
        Assert.Contains("option 'max_write'", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "threads=2", ops, OpsSize, 2));
        Assert.Contains("threads given twice", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "fsname=x,direct_io", ops, OpsSize, 0));   // the filesystem's job, not the library's
        Assert.Contains("option 'direct_io' is one the fastfuse command's filesystems act on; a C filesystem does it itself: set FOPEN_DIRECT_IO", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "entry_timeout=5", ops, OpsSize, 0));
        Assert.Contains("set entry_valid", lib.LastError());
        Assert.Equal(0, lib.Mount(dir.Path, "transport=devfuse,uring_depth=4", ops, OpsSize, 0));
        Assert.Contains("uring_depth applies to transport=uring", lib.LastError());

        Assert.Equal(EINVAL, lib.Run(0));
        Assert.Contains("fastfuse_run: session is NULL", lib.LastError());
        Assert.Equal(EINVAL, lib.Unmount(0, 0));
        Assert.Equal(-EINVAL, lib.Stats(0, null, 0));
        lib.Destroy(0);

        // The message is per thread.
        string? other = null;
        var t = new Thread(() => other = lib.LastError());
        t.Start();
        t.Join();
        Assert.Equal("", other);

        Assert.Equal($"fastfuse {BuildInfo.Version} (FUSE 7.45)", lib.Version());
    }

    private const int OpsCount = 43;                    // members of struct fastfuse_ops today (38 in 0.1)
    private static readonly nuint OpsSize = (nuint)(OpsCount * sizeof(nint));

    // ---- a C filesystem that touches most of the table ----------------------------------------------------------

    private const string AbiFsSource = """
        #include <errno.h>
        #include <fcntl.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <stddef.h>
        #include <sys/stat.h>
        #include "fastfuse.h"

        _Static_assert(sizeof(struct fastfuse_ctx) == 40, "fastfuse_ctx");
        _Static_assert(sizeof(struct fastfuse_conn) == 80, "fastfuse_conn");
        _Static_assert(sizeof(struct fastfuse_ops) == 43 * sizeof(void *), "fastfuse_ops");
        _Static_assert(offsetof(struct fastfuse_ops, init) == 32 * sizeof(void *), "init");
        _Static_assert(sizeof(struct fuse_entry_out) == 128 && sizeof(struct fuse_attr_out) == 104, "kernel structs");

        enum { ROOT = 1, DATA = 2, LINK = 3, SINK = 4 };
        static const char data[] = "0123456789";
        static const char *names[] = { 0, 0, "data", "link", "sink" };
        static uint64_t sink_size;

        static int fill(uint64_t ino, struct fuse_attr *a)
        {
            a->ino = ino; a->nlink = 1; a->blksize = 4096;
            switch (ino) {
            case ROOT: a->mode = S_IFDIR | 0755; a->nlink = 2; return 0;
            case DATA: a->mode = S_IFREG | 0444; a->size = 10; return 0;
            case LINK: a->mode = S_IFLNK | 0777; a->size = 4; return 0;
            case SINK: a->mode = S_IFREG | 0666; a->size = __atomic_load_n(&sink_size, __ATOMIC_SEQ_CST); return 0;
            }
            return -ENOENT;
        }
        static void entry(uint64_t ino, struct fuse_entry_out *e) { e->nodeid = ino; fill(ino, &e->attr); }

        static int lookup(void *ud, const struct fastfuse_ctx *c, uint64_t parent, const char *name, size_t len, struct fuse_entry_out *out)
        {
            if (parent != ROOT || strlen(name) != len) return -EINVAL;
            if (strcmp(name, "broken") == 0) return 7;  /* not a negative errno: the library answers EIO */
            for (uint64_t i = DATA; i <= SINK; i++)
                if (strcmp(name, names[i]) == 0) { entry(i, out); return 0; }
            return -ENOENT;
        }
        static int getattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int has_fh, struct fuse_attr_out *out)
        { return fill(ino, &out->attr); }
        static int setattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, const struct fuse_setattr_in *in, struct fuse_attr_out *out)
        {
            if (ino != SINK) return -EPERM;
            if (in->valid & FATTR_SIZE) __atomic_store_n(&sink_size, in->size, __ATOMIC_SEQ_CST);
            return fill(ino, &out->attr);
        }
        static int readlink_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, char *buf, size_t size, size_t *len)
        { if (ino != LINK) return -EINVAL; strcpy(buf, "data"); return 0; /* *len untouched: NUL-terminated */ }
        static int open_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, int flags, struct fuse_open_out *out)
        {
            if (ino == SINK && (flags & O_TRUNC)) __atomic_store_n(&sink_size, 0, __ATOMIC_SEQ_CST);
            out->fh = ino * 100; out->open_flags = FOPEN_DIRECT_IO; return 0;
        }
        static int read_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, size_t size, void *buf, size_t *len)
        {
            if (fh != ino * 100) return -EBADF;
            if (ino != DATA) return -EIO;
            size_t n = off >= 10 ? 0 : 10 - (size_t)off;
            if (n > size) n = size;
            memcpy(buf, data + off, n); *len = n; return 0;
        }
        static int write_(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, const void *d, size_t size, uint32_t wf, uint32_t *written)
        {
            if (ino != SINK) return -EBADF;
            uint64_t end = (uint64_t)off + size, cur = __atomic_load_n(&sink_size, __ATOMIC_SEQ_CST);
            if (end > cur) __atomic_store_n(&sink_size, end, __ATOMIC_SEQ_CST);
            *written = (uint32_t)size; return 0;
        }
        static int flush(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, uint64_t owner) { return 0; }
        static int getxattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, const char *name, size_t nl, void *buf, size_t size, size_t *len)
        {
            if (strcmp(name, "user.color") != 0) return -ENODATA;
            *len = 4;
            if (size == 0) return 0;
            if (size < 4) return -ERANGE;
            memcpy(buf, "blue", 4); return 0;
        }
        static int listxattr(void *ud, const struct fastfuse_ctx *c, uint64_t ino, void *buf, size_t size, size_t *len)
        {
            *len = 11;
            if (size == 0) return 0;
            if (size < 11) return -ERANGE;
            memcpy(buf, "user.color", 11); return 0;
        }
        static int readdir(void *ud, const struct fastfuse_ctx *c, uint64_t ino, uint64_t fh, int64_t off, struct fastfuse_dirbuf *db)
        {
            for (int64_t i = off; i < 5; i++) {
                int r;
                if (i < 2) r = fastfuse_dir_add(db, i == 0 ? "." : "..", ROOT, S_IFDIR, i + 1);
                else if (fastfuse_dir_is_plus(db)) { struct fuse_entry_out e = {0}; entry((uint64_t)i, &e); r = fastfuse_dir_add_plus(db, names[i], &e, i + 1); }
                else r = fastfuse_dir_add(db, names[i], (uint64_t)i, i == LINK ? S_IFLNK : S_IFREG, i + 1);
                if (r <= 0) break;
            }
            return 0;
        }
        static void init(void *ud, struct fastfuse_conn *conn)
        { printf("init proto %u.%u max_write=%u\n", conn->proto_major, conn->proto_minor, conn->max_write); fflush(stdout); }
        static void destroy(void *ud) { printf("destroy\n"); fflush(stdout); }

        int main(int argc, char **argv)
        {
            sigset_t sigs; sigemptyset(&sigs); sigaddset(&sigs, SIGINT); sigaddset(&sigs, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &sigs, NULL);
            struct fastfuse_ops ops = { .lookup = lookup, .getattr = getattr, .setattr = setattr, .readlink = readlink_,
                .open = open_, .read = read_, .write = write_, .flush = flush, .getxattr = getxattr, .listxattr = listxattr,
                .readdir = readdir, .init = init, .destroy = destroy };
            /* argv[2]: an option list of the test's own, with the thread count in it (threads= option, argument 0) */
            fastfuse_session *s = fastfuse_mount(argv[1], argc > 2 ? argv[2] : "fsname=abi_fs", &ops, sizeof ops, NULL, argc > 2 ? 0 : 2);
            if (!s) { fprintf(stderr, "abi_fs: %s\n", fastfuse_last_error()); return 1; }
            if (fastfuse_start(s) != 0) { fprintf(stderr, "abi_fs: %s\n", fastfuse_last_error()); return 1; }
            printf("serving\n"); fflush(stdout);
            int sig; sigwait(&sigs, &sig);
            char stats[8192];
            int r = fastfuse_unmount(s, 1);
            if (fastfuse_stats(s, stats, sizeof stats) <= 0) { fprintf(stderr, "abi_fs: no stats\n"); r = 1; }
            struct fastfuse_stats st = { .size = sizeof st };
            if (fastfuse_stats_get(s, &st) != 0) { fprintf(stderr, "abi_fs: %s\n", fastfuse_last_error()); r = 1; }
            printf("stats v%u size=%u requests=%llu lookup=%llu read=%llu mkdir=%llu/%llu depth=%u\n", st.version, st.size,
                (unsigned long long)st.requests, (unsigned long long)st.count[FUSE_LOOKUP], (unsigned long long)st.count[FUSE_READ],
                (unsigned long long)st.count[FUSE_MKDIR], (unsigned long long)st.errors[FUSE_MKDIR], st.depth);
            /* A program built against an older, smaller struct: only what it knows is written. */
            struct { uint32_t size, version; uint64_t requests; uint64_t guard; } old = { .size = 16, .guard = 77 };
            if (fastfuse_stats_get(s, (struct fastfuse_stats *)&old) != 0 || old.size != 16 || old.guard != 77) r = 1;
            printf("old size=%u guard=%llu\n", old.size, (unsigned long long)old.guard);
            const char *t = strstr(stats, "transport: ");
            if (t) printf("%.*s\n", (int)strcspn(t, "\n"), t);
            fastfuse_destroy(s);
            return r;
        }
        """;
}

/// <summary>Finds, builds and loads out/native/libfastfuse.so; compiles C programs against it.</summary>
internal static unsafe class NativeBuild
{
    private static readonly Lazy<string> s_repo = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FastFuse.sln"))) return d.FullName;
        throw new InvalidOperationException($"no FastFuse.sln above {AppContext.BaseDirectory}");
    });
    private static readonly Lazy<string> s_library = new(BuildIfStale);
    private static readonly Lazy<NativeApi> s_api = new(() => new NativeApi(NativeLibrary.Load(Library)));

    public static string Repo => s_repo.Value;
    public static string OutDir => Path.Combine(Repo, "out", "native");
    /// <summary>out/native/libfastfuse.so, rebuilt by native/build.sh if older than any of its sources.</summary>
    public static string Library => s_library.Value;
    public static NativeApi Load() => s_api.Value;

    private static string BuildIfStale()
    {
        string lib = Path.Combine(OutDir, "libfastfuse.so");
        string header = Path.Combine(OutDir, "fastfuse.h");
        var newest = Sources().Max(File.GetLastWriteTimeUtc);
        if (File.Exists(lib) && File.Exists(header) && File.GetLastWriteTimeUtc(lib) >= newest && File.GetLastWriteTimeUtc(header) >= newest)
            return lib;
        var (code, output) = Exec(Path.Combine(Repo, "native", "build.sh"), Array.Empty<string>(), TimeSpan.FromMinutes(15));
        if (code != 0 || !File.Exists(lib)) throw new InvalidOperationException($"native/build.sh failed ({code}):\n{output}");
        return lib;
    }

    /// <summary>What the library is built from: the native project, the header, the runtime, the shared props.</summary>
    private static IEnumerable<string> Sources()
    {
        foreach (var dir in new[] { Path.Combine(Repo, "native", "FastFuse.Native"), Path.Combine(Repo, "native", "include"), Path.Combine(Repo, "runtime", "FastFuse") })
            foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(dir, f);
                if (rel.StartsWith("bin/") || rel.StartsWith("obj/")) continue;
                if (f.EndsWith(".cs") || f.EndsWith(".csproj") || f.EndsWith(".h")) yield return f;
            }
        yield return Path.Combine(Repo, "aot.props");
        yield return Path.Combine(Repo, "Directory.Build.props");
    }

    /// <summary>cc <paramref name="source"/> against the library into out/native/tests/ (rpath: out/native).</summary>
    public static string CompileC(string source, string name)
    {
        string lib = Library;
        string dir = Path.Combine(OutDir, "tests");
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, name);
        var (code, output) = Exec("cc", new[]
        {
            "-O2", "-Wall", "-Werror", "-Wno-unused-parameter", "-pthread", "-I", Path.Combine(Repo, "native", "include"), source,
            "-L", Path.GetDirectoryName(lib)!, "-lfastfuse", $"-Wl,-rpath,{Path.GetDirectoryName(lib)}", "-o", exe,
        }, TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"cc {source} failed ({code}):\n{output}");
        return exe;
    }

    /// <summary>Run a program to its end (killed after <paramref name="timeout"/>): exit code and all it printed.</summary>
    internal static (int Code, string Output) Exec(string file, IEnumerable<string> args, TimeSpan timeout, string? cwd = null,
        IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd ?? Repo };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} timed out after {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>The exports of libfastfuse.so, called through function pointers from NativeLibrary.GetExport.</summary>
internal sealed unsafe class NativeApi(nint lib)
{
    private readonly delegate* unmanaged<byte*, byte*, nint*, nuint, void*, int, nint> _mount =
        (delegate* unmanaged<byte*, byte*, nint*, nuint, void*, int, nint>)NativeLibrary.GetExport(lib, "fastfuse_mount");
    private readonly delegate* unmanaged<nint, int> _run = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "fastfuse_run");
    private readonly delegate* unmanaged<nint, int, int> _unmount = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(lib, "fastfuse_unmount");
    private readonly delegate* unmanaged<nint, void> _destroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "fastfuse_destroy");
    private readonly delegate* unmanaged<nint, byte*, nuint, int> _stats = (delegate* unmanaged<nint, byte*, nuint, int>)NativeLibrary.GetExport(lib, "fastfuse_stats");
    private readonly delegate* unmanaged<byte*> _lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(lib, "fastfuse_last_error");
    private readonly delegate* unmanaged<byte*> _version = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(lib, "fastfuse_version");

    public nint Mount(string? mountpoint, string? options, nint* ops, nuint opsSize, int threads)
    {
        byte[]? mp = mountpoint is null ? null : Encoding.UTF8.GetBytes(mountpoint + "\0");
        byte[]? op = options is null ? null : Encoding.UTF8.GetBytes(options + "\0");
        fixed (byte* m = mp)
        fixed (byte* o = op)
            return _mount(m, o, ops, opsSize, null, threads);
    }

    public int Run(nint s) => _run(s);
    public int Unmount(nint s, int lazy) => _unmount(s, lazy);
    public void Destroy(nint s) => _destroy(s);
    public int Stats(nint s, byte* buf, nuint size) => _stats(s, buf, size);
    public string LastError() => Marshal.PtrToStringUTF8((nint)_lastError()) ?? "<NULL>";
    public string Version() => Marshal.PtrToStringUTF8((nint)_version()) ?? "<NULL>";
}

/// <summary>A child process with its stdout and stderr collected; killed on Dispose if still running.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _p;
    private readonly List<string> _out = new(), _err = new();

    private ChildProcess(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = new Process { StartInfo = psi };
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Add(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Add(e.Data); };
        _p.Start();
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public static ChildProcess Start(string exe, params string[] args) => new(exe, args);

    public List<string> Stdout { get { lock (_out) return _out.ToList(); } }
    public string AllOutput { get { lock (_out) lock (_err) return $"stdout:\n{string.Join('\n', _out)}\nstderr:\n{string.Join('\n', _err)}"; } }
    public int ExitCode => _p.ExitCode;

    public bool WaitForStdout(Func<string, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Stdout.Any(match)) return true;
            if (_p.HasExited) { _p.WaitForExit(); return Stdout.Any(match); }
            Thread.Sleep(20);
        }
        return false;
    }

    public void Signal(int sig)
    {
        if (Libc.kill(_p.Id, sig) != 0) throw new InvalidOperationException($"kill({_p.Id}, {sig}): errno {Marshal.GetLastPInvokeError()}");
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout)) return false;
        _p.WaitForExit(); // drain the output events
        return true;
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                Libc.kill(_p.Id, 9);
                _p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _p.Dispose();
    }
}

/// <summary>An empty directory under /tmp, detached (if something is still mounted on it) and removed on Dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("fastfuse-native-mnt-").FullName;

    public void Dispose()
    {
        for (int i = 0; i < 3 && MountTable.IsMounted(Path); i++) Libc.umount2(Path, 2 /* MNT_DETACH */);
        try { Directory.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class MountTable
{
    public static bool IsMounted(string path)
    {
        string full = System.IO.Path.GetFullPath(path).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ') is { Length: > 4 } f && f[4] == full);
    }
}

internal static unsafe class Libc
{
    [DllImport("libc", SetLastError = true)] public static extern int kill(int pid, int sig);
    [DllImport("libc", SetLastError = true)] public static extern int access(string path, int mode);
    [DllImport("libc", SetLastError = true)] public static extern int mkdir(string path, uint mode);
    [DllImport("libc", SetLastError = true)] public static extern int umount2(string path, int flags);
    [DllImport("libc", SetLastError = true, EntryPoint = "truncate64")] public static extern int truncate(string path, long length);
    [DllImport("libc", SetLastError = true)] public static extern nint getxattr(string path, string name, byte* value, nuint size);
    [DllImport("libc", SetLastError = true)] public static extern nint listxattr(string path, byte* list, nuint size);
}
