using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Native;

/// <summary>
/// The Python hosts of native/examples, run by Debian's python3 with ctypes over out/native/libfastfuse.so:
/// hello.py (read-only) and memfs.py (read-write, in memory, its READs answered asynchronously from a Python worker
/// thread through fastfuse_reply_buf). Each is mounted through the kernel, used with ordinary system calls and
/// unmounted by SIGINT; memfs.py's hand-declared struct layouts are compared with the C compiler's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed unsafe class PythonMemfsTests
{
    private const int SIGINT = 2;
    private const int EIO = 5, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ENOTEMPTY = 39;
    private const string Python = "/usr/bin/python3";   // Debian's, not whatever is first on PATH
    private static string Examples => Path.Combine(NativeBuild.Repo, "native", "examples");

    /// <summary>python3 SCRIPT MOUNTPOINT with the library and the given variables in its environment (through env(1),
    /// which execs python3: the pid signalled is the host's).</summary>
    private static ChildProcess StartHost(string script, string mountpoint, params string[] env)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing");
        return ChildProcess.Start("/usr/bin/env", [$"FASTFUSE_LIB={NativeBuild.Library}", .. env, Python, Path.Combine(Examples, script), mountpoint]);
    }

    private static void StopWithSigint(ChildProcess p, string mountpoint, string name)
    {
        p.Signal(SIGINT);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), $"{name} did not exit on SIGINT\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.False(MountTable.IsMounted(mountpoint), "still mounted after exit");
    }

    [MountFact]
    public void HelloPy_ServesItsFile_AndUnmountsOnSigint()
    {
        using var mnt = new TempDir();
        using var p = StartHost("hello.py", mnt.Path);
        Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), "hello.py did not start\n" + p.AllOutput);

        Assert.Equal("Hello from Python\n", File.ReadAllText(Path.Combine(mnt.Path, "hello")));
        Assert.Equal(new[] { "hello" }, Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(mnt.Path, "hello")));
        Assert.False(File.Exists(Path.Combine(mnt.Path, "missing")));
        Assert.Throws<UnauthorizedAccessException>(() => File.OpenWrite(Path.Combine(mnt.Path, "hello")).Dispose());   // EACCES

        StopWithSigint(p, mnt.Path, "hello.py");
    }

    [MountFact]
    public void Memfs_ReadsAndWritesThroughTheKernel_AndUnmountsOnSigint()
    {
        using var mnt = new TempDir();
        using var p = StartHost("memfs.py", mnt.Path, "MEMFS_FAIL=boom");
        Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), "memfs.py did not start\n" + p.AllOutput);
        // The library has the asynchronous replies: memfs.py answers READ from its worker thread, not in the callback.
        Assert.Contains(p.Stdout, l => l.Contains("serving") && l.Contains("read answered asynchronously"));
        string F(string name) => Path.Combine(mnt.Path, name);
        int umask = Umask();

        // create, write, read back; the size and the mode (0666 less the caller's umask, applied once by memfs.py)
        File.WriteAllText(F("a.txt"), "hello memfs");
        Assert.Equal("hello memfs", File.ReadAllText(F("a.txt")));
        Assert.Equal($"11 {Convert.ToString(0x1b6 & ~umask, 8)} 1 regular file", Stat("%s %a %h %F", F("a.txt")));
        File.SetUnixFileMode(F("a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Equal("640", Stat("%a", F("a.txt")));

        // writes at an offset and past the end (a hole reads as zeros)
        using (var fs = new FileStream(F("a.txt"), FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = 6;
            fs.Write("MEMFS"u8);
            fs.Position = 14;
            fs.Write("!"u8);
        }
        Assert.Equal("hello MEMFS\0\0\0!", File.ReadAllText(F("a.txt")));

        // truncate down and up (setattr FATTR_SIZE), by path and by handle
        Assert.Equal(0, Libc.truncate(F("a.txt"), 5));
        Assert.Equal(5, new FileInfo(F("a.txt")).Length);
        Assert.Equal("hello", File.ReadAllText(F("a.txt")));
        using (var fs = new FileStream(F("a.txt"), FileMode.Open, FileAccess.ReadWrite)) fs.SetLength(8);
        Assert.Equal("hello\0\0\0", File.ReadAllText(F("a.txt")));
        File.WriteAllText(F("a.txt"), "new");   // O_TRUNC on an existing file
        Assert.Equal("new", File.ReadAllText(F("a.txt")));

        // times (setattr FATTR_ATIME / FATTR_MTIME)
        var when = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(F("a.txt"), when);
        Assert.Equal(when, File.GetLastWriteTimeUtc(F("a.txt")));

        // several MiB: many READs at many offsets, each answered by the worker thread
        var big = new byte[3 << 20];
        new Random(7).NextBytes(big);
        File.WriteAllBytes(F("big"), big);
        Assert.Equal(big.Length, new FileInfo(F("big")).Length);
        Assert.True(big.AsSpan().SequenceEqual(File.ReadAllBytes(F("big"))), "big file read back differs");

        // directories: mkdir (0777 less umask), nlink counts subdirectories, rmdir refuses a non-empty one
        Directory.CreateDirectory(F("d"));
        Assert.Equal($"4096 {Convert.ToString(0x1ff & ~umask, 8)} 2 directory", Stat("%s %a %h %F", F("d")));
        Directory.CreateDirectory(F("d/sub"));
        Assert.Equal("3", Stat("%h", F("d")));
        Assert.Equal(-1, Libc.mkdir(F("d"), 0x1ed));
        Assert.Equal(EEXIST, Marshal.GetLastPInvokeError());
        File.WriteAllText(F("d/sub/f"), "in sub");
        Assert.Equal(-1, Libc.rmdir(F("d/sub")));
        Assert.Equal(ENOTEMPTY, Marshal.GetLastPInvokeError());
        Assert.Equal(-1, Libc.rmdir(F("d/sub/f")));
        Assert.Equal(ENOTDIR, Marshal.GetLastPInvokeError());
        Assert.Equal(-1, Libc.unlink(F("d/sub")));
        Assert.Equal(EISDIR, Marshal.GetLastPInvokeError());

        // rename: a file into another directory, over an existing file, a directory across directories
        File.Move(F("a.txt"), F("d/moved.txt"));
        Assert.False(File.Exists(F("a.txt")));
        Assert.Equal("new", File.ReadAllText(F("d/moved.txt")));
        File.WriteAllText(F("other"), "other");
        File.Move(F("other"), F("d/moved.txt"), overwrite: true);
        Assert.Equal("other", File.ReadAllText(F("d/moved.txt")));
        Directory.Move(F("d/sub"), F("sub2"));
        Assert.Equal("in sub", File.ReadAllText(F("sub2/f")));
        Assert.Equal("2", Stat("%h", F("d")));
        Assert.Equal("4", Stat("%h", mnt.Path));   // 2, and one for each subdirectory (d, sub2)
        File.WriteAllText(F("x"), "x");
        Assert.Equal(-1, Libc.renameat2(AT_FDCWD, F("x"), AT_FDCWD, F("d/moved.txt"), RENAME_NOREPLACE));
        Assert.Equal(EEXIST, Marshal.GetLastPInvokeError());
        Assert.Equal(0, Libc.renameat2(AT_FDCWD, F("x"), AT_FDCWD, F("d/moved.txt"), RENAME_EXCHANGE));
        Assert.Equal("other", File.ReadAllText(F("x")));
        Assert.Equal("x", File.ReadAllText(F("d/moved.txt")));

        // unlink and rmdir
        File.Delete(F("x"));
        Assert.False(File.Exists(F("x")));
        File.Delete(F("sub2/f"));
        Directory.Delete(F("sub2"));
        Assert.False(Directory.Exists(F("sub2")));

        // symlink, readlink, hard link
        File.CreateSymbolicLink(F("link"), "d/moved.txt");
        Assert.Equal("d/moved.txt", new FileInfo(F("link")).LinkTarget);
        Assert.Equal("x", File.ReadAllText(F("link")));
        Assert.Equal(0, Libc.link(F("d/moved.txt"), F("hard")));
        Assert.Equal("1 2", Stat("%s %h", F("hard")));
        File.Delete(F("d/moved.txt"));
        Assert.Equal("x", File.ReadAllText(F("hard")));
        Assert.Equal("1", Stat("%h", F("hard")));

        // readdir: a listing longer than one READDIR reply
        Directory.CreateDirectory(F("many"));
        var names = Enumerable.Range(0, 300).Select(i => $"file-with-a-longish-name-{i:D4}").ToArray();
        foreach (var n in names) File.WriteAllText(Path.Combine(F("many"), n), n);
        Assert.Equal(names, Directory.GetFileSystemEntries(F("many")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(new[] { "big", "d", "hard", "link", "many" }, Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(Directory.GetFileSystemEntries(F("d")));
        Assert.Equal(names[123], File.ReadAllText(Path.Combine(F("many"), names[123])));

        // statfs
        Assert.Equal("4096 255", Stat("%S %l", mnt.Path, fileSystem: true));

        // an exception in a Python callback answers EIO: in the lookup callback and in the read worker
        Assert.Equal(-1, Libc.access(F("boom"), 0));
        Assert.Equal(EIO, Marshal.GetLastPInvokeError());
        File.WriteAllText(F("poison"), "boom");
        Assert.Equal(EIO, ReadErrno(F("poison")));
        Assert.Equal("x", File.ReadAllText(F("hard")));   // and the filesystem goes on
        Assert.True(p.WaitForStdout(_ => p.AllOutput.Contains("RuntimeError: MEMFS_FAIL: an exception in read"), TimeSpan.FromSeconds(5)), p.AllOutput);
        Assert.Contains("RuntimeError: MEMFS_FAIL: an exception in lookup", p.AllOutput);

        StopWithSigint(p, mnt.Path, "memfs.py");
        var answered = p.Stdout.Single(l => l.EndsWith(" reads answered from the worker thread", StringComparison.Ordinal));
        Assert.True(int.Parse(answered.Split(' ')[1]) >= 10, answered);
        Assert.Contains("memfs.py: destroy", p.Stdout);
    }

    /// <summary>SIGINT while a file is open: fastfuse_unmount says EBUSY, memfs.py detaches (lazy) instead, and exits 0
    /// once the session ends.</summary>
    [MountFact]
    public void Memfs_SigintWithAFileOpen_DetachesAndExitsZero()
    {
        using var mnt = new TempDir();
        using var p = StartHost("memfs.py", mnt.Path);
        Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), "memfs.py did not start\n" + p.AllOutput);
        File.WriteAllText(Path.Combine(mnt.Path, "open"), "still open");
        using (var fs = new FileStream(Path.Combine(mnt.Path, "open"), FileMode.Open, FileAccess.Read))
        {
            p.Signal(SIGINT);
            var until = DateTime.UtcNow.AddSeconds(20);
            while (MountTable.IsMounted(mnt.Path) && DateTime.UtcNow < until) Thread.Sleep(20);
            Assert.False(MountTable.IsMounted(mnt.Path), "not detached after SIGINT\n" + p.AllOutput);
        }
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "memfs.py did not exit\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.DoesNotContain("unmount:", p.AllOutput);
    }

    /// <summary>memfs.py declares the structs and constants by hand: every size, offset and value it has must be the C
    /// compiler's, from fastfuse.h and the system's &lt;linux/fuse.h&gt;.</summary>
    [Fact]
    public void MemfsStructLayouts_AreTheHeaders()
    {
        var (code, python) = NativeBuild.Exec(Python, [Path.Combine(Examples, "memfs.py"), "--layout"], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, python);
        var lines = python.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // The same lines from C: the value of every constant, offsetof for every member Python printed, sizeof for
        // every struct.
        var c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"fastfuse.h\"\nint main(void) {\n");
        foreach (var line in lines)
        {
            string what = line.Split(' ')[0];
            c.Append(line.Split(' ') is ["define", var name, _]
                ? $"    printf(\"define %s %lld\\n\", \"{name}\", (long long){name});\n"
                : what.Split('.') is [var s, var m]
                ? $"    printf(\"%s %zu\\n\", \"{what}\", offsetof(struct {s}, {m}));\n"
                : $"    printf(\"%s %zu\\n\", \"{what}\", sizeof(struct {what}));\n");
        }
        c.Append("    return 0;\n}\n");
        string src = Path.Combine(Path.GetTempPath(), $"fastfuse-pylayout-{Environment.ProcessId}.c");
        File.WriteAllText(src, c.ToString());
        string exe;
        try { exe = NativeBuild.CompileC(src, "py_layout"); }
        finally { File.Delete(src); }
        var (ccode, fromC) = NativeBuild.Exec(exe, [], TimeSpan.FromMinutes(1));
        Assert.True(ccode == 0, fromC);

        Assert.Contains("fastfuse_ctx.req 32", lines);
        Assert.Contains(lines, l => l.StartsWith("define FASTFUSE_ASYNC ", StringComparison.Ordinal));
        Assert.Contains("fastfuse_ops.syncfs 296", lines);
        Assert.Equal(fromC.Split('\n', StringSplitOptions.RemoveEmptyEntries), lines);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static string Stat(string format, string path, bool fileSystem = false)
    {
        var (code, output) = NativeBuild.Exec("stat", fileSystem ? ["-f", "-c", format, path] : ["-c", format, path], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"stat {path}: {output}");
        return output.Trim();
    }

    private static int Umask() =>
        Convert.ToInt32(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("Umask:", StringComparison.Ordinal))[6..].Trim(), 8);

    /// <summary>open + read: 0 when the read succeeds, else its errno.</summary>
    private static int ReadErrno(string path)
    {
        int fd = Libc.open(path, 0);
        Assert.True(fd >= 0, $"open {path}: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            byte* buf = stackalloc byte[64];
            return Libc.read(fd, buf, 64) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        finally { Libc.close(fd); }
    }

    private const int AT_FDCWD = -100;
    private const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;

    private static class Libc
    {
        [DllImport("libc", SetLastError = true)] public static extern int access(string path, int mode);
        [DllImport("libc", SetLastError = true)] public static extern int mkdir(string path, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int rmdir(string path);
        [DllImport("libc", SetLastError = true)] public static extern int unlink(string path);
        [DllImport("libc", SetLastError = true)] public static extern int link(string oldpath, string newpath);
        [DllImport("libc", SetLastError = true)] public static extern int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
        [DllImport("libc", SetLastError = true, EntryPoint = "truncate64")] public static extern int truncate(string path, long length);
        [DllImport("libc", SetLastError = true)] public static extern int open(string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern nint read(int fd, byte* buf, nuint count);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    }
}
