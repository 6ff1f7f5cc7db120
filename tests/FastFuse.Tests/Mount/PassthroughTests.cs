using FastFuse.Session;
using Xunit.Sdk;
using System.Collections.Concurrent;
using System.Diagnostics;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// LoopbackFs with <c>-o passthrough</c>: one backing file per inode, shared by every open handle of it (the kernel
/// refuses a second, different backing file for an inode that already has one: the open fails with EIO), closed
/// when the last handle is released; passthrough and non-passthrough opens of one inode never mixed (the kernel
/// refuses a passthrough open while cached opens exist, and a cached open while passthrough ones exist: EIO).
/// </summary>
public abstract class PassthroughTests(TransportKind transport)
{
    private MountedFs Mount(LoopbackOptions? options = null)
    {
        var m = MountedFs.Loopback(NoCache + ",passthrough", options ?? new LoopbackOptions { Passthrough = true },
            new SessionOptions { Threads = 2, Transport = transport });
        Assert.True(m.Session.Connection.Has(InitFlags.Passthrough), "the kernel did not accept FUSE passthrough (needs 6.9+ and CAP_SYS_ADMIN)");
        return m;
    }

    /// <summary>Backing ids the daemon holds, once the asynchronous RELEASEs of closed files have arrived.</summary>
    private static long SettledBackingIds(MountedFs m, long expected)
    {
        var sw = Stopwatch.StartNew();
        long n;
        while ((n = m.Session.Backing.Registered) != expected && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        return n;
    }

    private static byte[] Bytes(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    [PassthroughFact]
    public void TwoOpens_ReadOnlyAndReadWrite_BothWork_AndShareOneBackingFile()
    {
        using var m = Mount();
        WriteFile(m["f"], "0123456789"u8);
        Assert.Equal(0, SettledBackingIds(m, 0));
        int ro = Open(m["f"], O_RDONLY);
        int rw = -1;
        try
        {
            Assert.Equal(1, m.Session.Backing.Registered);
            rw = Open(m["f"], O_RDWR);                           // EIO before: a second backing id for the inode
            Assert.Equal(1, m.Session.Backing.Registered);      // the same backing file, not a second one
            PwriteAll(rw, "AB"u8, 3);
            var buf = new byte[10];
            Assert.Equal(10, PreadFull(ro, buf, 0));
            Assert.Equal("012AB56789"u8.ToArray(), buf);
            Assert.Equal(10, PreadFull(rw, buf, 0));
            Assert.Equal("012AB56789"u8.ToArray(), buf);
        }
        finally
        {
            close(ro);
            if (rw >= 0) close(rw);
        }
        Assert.Equal(0, SettledBackingIds(m, 0));
        Assert.Equal("012AB56789"u8.ToArray(), File.ReadAllBytes(Path.Combine(m.SourcePath!, "f")));
    }

    [PassthroughFact]
    public void EightConcurrentOpens_FromEightThreads_ReadAndWriteThroughEach()
    {
        const int Threads = 8, Slice = 4096;
        using var m = Mount();
        WriteFile(m["f"], new byte[Threads * Slice]);
        var fds = new int[Threads];
        var errors = new ConcurrentQueue<string>();
        using var opened = new Barrier(Threads);
        using var written = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                opened.SignalAndWait();
                // Even threads open read-write, odd threads read-only: all eight at the same moment.
                fds[t] = open(m["f"], ((t & 1) == 0 ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
                int err = fds[t] < 0 ? LastErrno : 0;
                opened.SignalAndWait();                                    // all eight are open now
                if (err != 0) { errors.Enqueue($"open {t}: {ErrName(err)}"); written.SignalAndWait(); return; }
                if ((t & 1) == 0) PwriteAll(fds[t], Random(2 * Slice, t), t * Slice);  // its slice and the next
                written.SignalAndWait();
                var all = new byte[Threads * Slice];
                Assert.Equal(all.Length, PreadFull(fds[t], all, 0));
                for (int w = 0; w < Threads; w += 2)
                    if (!all.AsSpan(w * Slice, 2 * Slice).SequenceEqual(Random(2 * Slice, w)))
                        errors.Enqueue($"thread {t} does not see what thread {w} wrote");
            }
            catch (Exception e) { errors.Enqueue($"thread {t}: {e.Message}"); }
        })).ToList();
        try
        {
            threads.ForEach(th => th.Start());
            foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromSeconds(30)), "a thread hung");
            Assert.True(errors.IsEmpty, string.Join("\n", errors));
            Assert.Equal(1, m.Session.Backing.Registered);
        }
        finally
        {
            foreach (int fd in fds) if (fd > 0) close(fd);
        }
        Assert.Equal(0, SettledBackingIds(m, 0));
    }

    [PassthroughFact]
    public void OpensWhileAnotherProcessHoldsTheFile_ReadAndWriteAlongsideIt()
    {
        using var m = Mount();
        WriteFile(m["f"], "........"u8);
        // A shell holds the file open read-write (as an editor would), then writes through its own descriptor.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "exec 3<>\"$1\"; echo held; read go; printf child >&3; echo done", "sh", m["f"]])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true,
        };
        using var child = Process.Start(psi)!;
        try
        {
            Assert.Equal("held", child.StandardOutput.ReadLine());
            Assert.Equal(1, m.Session.Backing.Registered);
            Assert.Equal("........"u8.ToArray(), ReadFile(m["f"]));       // cat while the editor holds it: EIO before
            int fd = Open(m["f"], O_RDWR);
            try
            {
                PwriteAll(fd, "us"u8, 6);
                child.StandardInput.WriteLine("go");
                Assert.Equal("done", child.StandardOutput.ReadLine());
                var buf = new byte[8];
                Assert.Equal(8, PreadFull(fd, buf, 0));
                Assert.Equal("child.us"u8.ToArray(), buf);
            }
            finally { close(fd); }
            Assert.True(child.WaitForExit(10_000), "the child did not exit");
            Assert.Equal(0, child.ExitCode);
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
        Assert.Equal(0, SettledBackingIds(m, 0));
    }

    [PassthroughFact]
    public void BackingIds_OnePerOpenInode_EveryOneClosedAfterItsLastRelease()
    {
        using var m = Mount();
        WriteFile(m["a"], "a"u8);
        WriteFile(m["b"], "b"u8);
        var a = new List<int>();
        var b = new List<int>();
        try
        {
            for (int i = 0; i < 5; i++) a.Add(Open(m["a"], (i & 1) == 0 ? O_RDONLY : O_RDWR));
            for (int i = 0; i < 3; i++) b.Add(Open(m["b"], O_RDWR));
            int c = Open(m["c"], O_RDWR | O_CREAT | O_EXCL);           // CREATE counts too
            b.Add(c);
            Assert.Equal(3, m.Session.Backing.Registered);
            foreach (int fd in a.Take(4)) close(fd);
            a.RemoveRange(0, 4);
            Assert.Equal(3, SettledBackingIds(m, 3));                   // a is still open once
            var one = new byte[1];
            Assert.Equal(1, Pread(a[0], one, 0));
            Assert.Equal((byte)'a', one[0]);
            close(a[0]);
            a.Clear();
            Assert.Equal(2, SettledBackingIds(m, 2));                   // a's last release closed its id
            foreach (int fd in b) close(fd);
            b.Clear();
            Assert.Equal(0, SettledBackingIds(m, 0));
            // And a new open after all that gets a backing file again.
            int again = Open(m["a"], O_RDONLY);
            Assert.Equal(1, m.Session.Backing.Registered);
            close(again);
            Assert.Equal(0, SettledBackingIds(m, 0));
        }
        finally
        {
            foreach (int fd in a.Concat(b)) close(fd);
        }
    }

    [PassthroughFact]
    public void AFileOpenedWithoutPassthrough_KeepsLaterOpensOffPassthroughUntilItIsClosed()
    {
        // The first open's BACKING_OPEN fails (as it does without the privilege or for a file the kernel cannot stack
        // on): that open is served through the daemon, the page cache in use. A passthrough answer for the second open
        // would then be refused by the kernel (ETXTBSY, the caller sees EIO): it must be served the same way.
        var fs = new LoopbackOptions { Passthrough = true };
        using var m = Mount(fs);
        var loop = (LoopbackFs)m.FileSystem;
        WriteFile(m["f"], "0123"u8);
        Assert.Equal(0, SettledBackingIds(m, 0));
        loop.RefuseBackingOpens = 1;
        int first = Open(m["f"], O_RDWR);
        int second = -1;
        try
        {
            Assert.Equal(0, m.Session.Backing.Registered);
            second = Open(m["f"], O_RDONLY);
            Assert.Equal(0, m.Session.Backing.Registered);
            PwriteAll(first, "xy"u8, 1);
            var buf = new byte[4];
            Assert.Equal(4, PreadFull(second, buf, 0));
            Assert.Equal("0xy3"u8.ToArray(), buf);
        }
        finally
        {
            close(first);
            if (second >= 0) close(second);
        }
        var sw = Stopwatch.StartNew();
        while (loop.OpenFiles != 0 && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5); // the RELEASEs are asynchronous
        Assert.Equal(0, loop.OpenFiles);
        int third = Open(m["f"], O_RDONLY);
        try
        {
            Assert.Equal(1, SettledBackingIds(m, 1)); // nothing holds the inode in cached mode any more: passthrough again
        }
        finally { close(third); }
        Assert.Equal(0, SettledBackingIds(m, 0));
    }
}

public sealed class PassthroughTests_DevFuse() : PassthroughTests(TransportKind.DevFuse);
public sealed class PassthroughTests_FuseUring() : PassthroughTests(TransportKind.FuseUring);
public sealed class PassthroughTests_Uring() : PassthroughTests(TransportKind.Uring);

/// <summary>A mount test that needs FUSE passthrough: Linux 6.9+ and root (CAP_SYS_ADMIN for the backing ioctls).</summary>
[XunitTestCaseDiscoverer("FastFuse.Tests.Infrastructure.MountFactDiscoverer", "FastFuse.Tests")]
public sealed class PassthroughFactAttribute : FactAttribute
{
    public PassthroughFactAttribute()
    {
        if (FuseAvailability.SkipReason is { } why) Skip = why;
        else if (Environment.UserName != "root" && Interop.ProcessIdentity.Uid != 0) Skip = "FUSE passthrough needs root (CAP_SYS_ADMIN)";
        else if (Environment.OSVersion.Version < new Version(6, 9)) Skip = $"FUSE passthrough needs Linux 6.9+ (this is {Environment.OSVersion.Version})";
    }
}
