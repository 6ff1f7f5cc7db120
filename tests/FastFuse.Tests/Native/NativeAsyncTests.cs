using System.Text;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Native;

/// <summary>
/// The asynchronous reply API of fastfuse.h (tokens, fastfuse_reply_*, fastfuse_req_*) from C, through the kernel,
/// on each transport: tests/FastFuse.Tests/Native/c/async_fs.c answers each of its files another way, and a program
/// sees ordinary results. The refused replies (a second one, one of the wrong kind, one after the session ended)
/// are printed by async_fs with the errno the library gave.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public abstract class NativeAsyncTestsBase(string transport)
{
    private const int SIGINT = 2, SIGTERM = 15, SIGUSR1 = 10, EALREADY = 114, EINVAL = 22;
    private static readonly Lazy<string> s_exe = new(() =>
        NativeBuild.CompileC(Path.Combine(NativeBuild.Repo, "tests", "FastFuse.Tests", "Native", "c", "async_fs.c"), "async_fs"));

    [MountFact]
    public void RepliesInsideAndAfterTheCallback_FromAnyThread()
    {
        using var mnt = new TempDir();
        using var fs = ChildProcess.Start(s_exe.Value, mnt.Path, $"fsname=async_fs,transport={transport}");
        Assert.True(fs.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "async_fs did not start\n" + fs.AllOutput);
        string F(string name) => Path.Combine(mnt.Path, name);

        // Inline reply_entry, then a return of -EIO that must not count.
        Assert.True(File.Exists(F("now")), fs.AllOutput);
        // LOOKUP, GETATTR, OPEN and READ all answered by the second thread.
        Assert.Equal("later-data\n", File.ReadAllText(F("later")));
        // READ from a file descriptor: spliced inside the callback, read (pread) when answered later.
        var expected = Enumerable.Range(0, 200 * 1024).Select(i => (byte)(i % 251)).ToArray();
        Assert.Equal(expected, File.ReadAllBytes(F("fd")));
        Assert.Equal(expected, File.ReadAllBytes(F("fdlater")));
        Assert.Equal("abcdefghi", File.ReadAllText(F("iov")));
        // A reply that does not fit the opcode is refused and the request stays open for the right one; a second
        // reply is refused.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(F("wrong")));
        Assert.True(fs.WaitForStdout(l => l.StartsWith("wrong="), TimeSpan.FromSeconds(10)), fs.AllOutput);
        Assert.Contains($"wrong={-EINVAL} right=0 second={-EALREADY}", fs.Stdout);
        // WRITE answered later, FLUSH by reply_err(0), SETATTR inline.
        File.WriteAllText(F("sink"), "hello, later");
        Assert.Equal(12, new FileInfo(F("sink")).Length);
        // READDIRPLUS packed with fastfuse_add_direntry_plus and answered from the second thread.
        Assert.Equal(new[] { "fd", "fdlater", "groups", "iov", "later", "never", "now", "sink", "slow", "wrong" },
                     Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(fs.Stdout, l => l.Contains("failed"));

        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), "async_fs did not exit\n" + fs.AllOutput);
        Assert.True(fs.ExitCode == 0, $"exit code {fs.ExitCode}\n{fs.AllOutput}");
    }

    /// <summary>Replies made later from another thread allocate nothing in steady state: the request path (loops and
    /// reply functions) allocates 0 bytes over 4,000 reads answered by async_fs's second thread and 8,000 answered
    /// inline with data_fd and iovecs.</summary>
    [MountFact]
    public void LaterReplies_AllocateNothingInSteadyState()
    {
        using var mnt = new TempDir();
        using var fs = ChildProcess.Start(s_exe.Value, mnt.Path, $"fsname=async_fs,transport={transport}");
        Assert.True(fs.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "async_fs did not start\n" + fs.AllOutput);
        var buf = new byte[4096];
        void Reads(int n)
        {
            using var later = File.OpenHandle(Path.Combine(mnt.Path, "later"));
            using var fd = File.OpenHandle(Path.Combine(mnt.Path, "fd"));
            using var iov = File.OpenHandle(Path.Combine(mnt.Path, "iov"));
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(11, RandomAccess.Read(later, buf, 0));       // direct_io: every read reaches async_fs
                Assert.Equal(4096, RandomAccess.Read(fd, buf, 4096L * (i % 40)));
                Assert.Equal(9, RandomAccess.Read(iov, buf, 0));
            }
        }
        (long Heap, long Deferred) Sample()
        {
            int before = fs.Stdout.Count(l => l.StartsWith("heap "));
            fs.Signal(SIGUSR1);
            Assert.True(fs.WaitForStdout(_ => fs.Stdout.Count(l => l.StartsWith("heap ")) > before, TimeSpan.FromSeconds(10)), fs.AllOutput);
            var f = fs.Stdout.Last(l => l.StartsWith("heap ")).Split(' ');
            return (long.Parse(f[1]), long.Parse(f[3]));
        }
        Reads(1000);                                   // warm-up: thread-local lists, scratch buffers, slot pools
        // Up to four windows of 12,000 requests (as the runtime's own steady-state test, a one-off allocation on a
        // ring thread — a first use, a resize — must not decide): one allocation per request would be 12,000 × 24
        // bytes at least in every window.
        var windows = new List<long>();
        for (int w = 0; w < 4; w++)
        {
            var a = Sample();
            Reads(4000);
            var b = Sample();
            long used = b.Heap - a.Heap;
            // Most of the 4,000 READs of "later" are answered after their callback returned; the rest came so fast from
            // the second thread that they were answered inline (both paths are measured).
            Assert.True(b.Deferred - a.Deferred >= 1000, $"only {b.Deferred - a.Deferred} deferred replies");
            windows.Add(used);
            if (used < 1024) break;
        }
        // request_path_allocated_bytes: the loops' threads plus the reply functions on async_fs's thread. (The
        // library's whole heap also grows with its background work: the mount-table watcher re-reads
        // /proc/self/mountinfo whenever any mount on the machine changes, which a parallel test run does all the time.)
        Assert.True(windows[^1] < 1024, $"the request path allocated in every window of 12,000 requests: {string.Join(", ", windows)} bytes");
        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
    }

    /// <summary>fastfuse_req_getgroups: the caller's supplementary groups, read while its request is open.</summary>
    [MountFact]
    public void SupplementaryGroupsOfTheCaller()
    {
        using var mnt = new TempDir();
        using var fs = ChildProcess.Start(s_exe.Value, mnt.Path, $"fsname=async_fs,transport={transport}");
        Assert.True(fs.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "async_fs did not start\n" + fs.AllOutput);
        var (code, output) = NativeBuild.Exec("/usr/bin/setpriv", ["--groups=5,6,1234", "--", "/usr/bin/readlink", Path.Combine(mnt.Path, "groups")], TimeSpan.FromSeconds(20));
        Assert.True(code == 0, output);
        Assert.Equal("5,6,1234", output.Trim());
        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), fs.AllOutput);
    }

    /// <summary>A request answered only by its interrupt callback (the caller got SIGINT), and one never answered:
    /// when the session ends it is answered EIO, and the reply the filesystem tries afterwards is refused.</summary>
    [MountFact]
    public void InterruptCallback_AndARequestNeverAnswered()
    {
        using var mnt = new TempDir();
        using var fs = ChildProcess.Start(s_exe.Value, mnt.Path, $"fsname=async_fs,transport={transport}");
        Assert.True(fs.WaitForStdout(l => l == "serving", TimeSpan.FromSeconds(20)), "async_fs did not start\n" + fs.AllOutput);

        using (var cat = ChildProcess.Start("/bin/cat", Path.Combine(mnt.Path, "slow")))
        {
            Assert.True(fs.WaitForStdout(l => l == "slow waiting interrupted=0", TimeSpan.FromSeconds(10)), fs.AllOutput);
            cat.Signal(SIGINT);
            Assert.True(fs.WaitForStdout(l => l == "interrupted slow", TimeSpan.FromSeconds(10)), "no interrupt callback\n" + fs.AllOutput);
            Assert.True(cat.WaitForExit(TimeSpan.FromSeconds(10)), "cat still blocked after the interrupt\n" + cat.AllOutput);
        }

        using var stat = ChildProcess.Start("/usr/bin/stat", Path.Combine(mnt.Path, "never"));
        Assert.True(fs.WaitForStdout(l => l == "never waiting", TimeSpan.FromSeconds(10)), fs.AllOutput);
        fs.Signal(SIGTERM);
        Assert.True(fs.WaitForExit(TimeSpan.FromSeconds(20)), "async_fs did not exit\n" + fs.AllOutput);
        Assert.True(fs.ExitCode == 0, $"exit code {fs.ExitCode}\n{fs.AllOutput}");
        Assert.Contains("pending=1", fs.Stdout);                  // the never-answered LOOKUP, counted while open
        Assert.Contains($"late={-EALREADY}", fs.Stdout);         // answered EIO at the session's end: the token is dead
        Assert.True(stat.WaitForExit(TimeSpan.FromSeconds(10)), "stat still blocked after the session ended");
        Assert.NotEqual(0, stat.ExitCode);
        Assert.DoesNotContain(fs.Stdout, l => l.Contains("failed"));
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeAsyncTests() : NativeAsyncTestsBase("devfuse");
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeAsyncTests_Uring() : NativeAsyncTestsBase("uring");
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeAsyncTests_FuseUring() : NativeAsyncTestsBase("fuse-uring");
