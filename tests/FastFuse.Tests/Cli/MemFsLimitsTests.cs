using System.Diagnostics;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Cli;

/// <summary>
/// `fastfuse memfs -o size=BYTES,nr_inodes=N`: the limits statfs and df report, ENOSPC past them, the daemon up and
/// every earlier file intact; bad values and the options on other filesystems refused with one line.
/// </summary>
public sealed unsafe class MemFsLimitsTests
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);

    private static FastFuseProcess StartMemfs(TempMountpoint mnt, string options)
    {
        var p = FastFuseProcess.Start("memfs", mnt.Path, "-f", "-o", options);
        if (!Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, Quick) || !Mounts.IsMounted(mnt.Path))
        {
            string output = p.AllOutput;
            p.Dispose();
            throw new Xunit.Sdk.XunitException($"memfs -o {options} did not mount at {mnt.Path}\n{output}");
        }
        return p;
    }

    private static void Stop(FastFuseProcess p, TempMountpoint mnt)
    {
        p.Signal(FastFuseProcess.SIGTERM);
        p.WaitForExit(Quick);
        Mounts.ForceUnmount(mnt.Path);
    }

    /// <summary>One df column for <paramref name="path"/> (df -B1 --output=size, or --output=itotal).</summary>
    private static long Df(string path, params string[] args)
    {
        var psi = new ProcessStartInfo("df") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(path);
        using var df = Process.Start(psi)!;
        string output = df.StandardOutput.ReadToEnd();
        Assert.True(df.WaitForExit(10_000));
        return long.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim());
    }

    /// <summary>pwrite until all of <paramref name="data"/> is written or a write fails: bytes written and the errno.</summary>
    private static (long Written, int Errno) TryWrite(string path, byte[] data)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL);
        try
        {
            long done = 0;
            fixed (byte* p = data)
                while (done < data.Length)
                {
                    long w = pwrite(fd, p + done, (nuint)(data.Length - done), done);
                    if (w < 0) return (done, LastErrno);
                    if (w == 0) return (done, 0);
                    done += w;
                }
            return (done, 0);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void SizeLimit_FilledWithData_ThenENOSPC_TheDaemonStaysUp_AndEveryEarlierFileIsIntact()
    {
        using var mnt = new TempMountpoint();
        using var p = StartMemfs(mnt, "size=8m");
        try
        {
            var st = Statfs(mnt.Path);
            Assert.Equal(8L * MiB, (long)st.Blocks * st.Bsize);
            Assert.Equal(st.Blocks, st.Bfree);
            Assert.Equal(8L * MiB, Df(mnt.Path, "-B1", "--output=size"));

            var contents = new List<byte[]>();
            int enospc = 0;
            Mounts.Io(() =>
            {
                for (int i = 0; i < 20 && enospc == 0; i++)
                {
                    var data = MountTestUtil.Random(MiB, i);
                    var (written, err) = TryWrite(mnt[$"f{i}"], data);
                    if (written == data.Length && err == 0) { contents.Add(data); continue; }
                    Assert.Equal(Errno.ENOSPC, err);
                    enospc = i;
                }
            }, "filling the filesystem");
            Assert.True(enospc > 0, "20 MiB fitted into a size=8m memfs");
            Assert.Equal(8, contents.Count);                                 // 8 MiB of data, exactly
            Assert.False(p.HasExited, "the daemon died\n" + p.AllOutput);
            Assert.Equal(0UL, Statfs(mnt.Path).Bavail);
            Assert.Equal(Errno.ENOSPC, Mounts.Io(() => TryWrite(mnt["more"], new byte[4096]).Errno, "one more write"));
            for (int i = 0; i < contents.Count; i++)
                Assert.Equal(MountTestUtil.Sha256(contents[i]), MountTestUtil.Sha256(Mounts.Io(() => ReadFile(mnt[$"f{i}"]), "read back")));

            // Deleting gives the space back.
            File.Delete(mnt["f0"]);
            File.Delete(mnt[$"f{enospc}"]);
            File.Delete(mnt["more"]);
            Assert.True(Mounts.WaitUntil(() => Statfs(mnt.Path).Bavail * 4096UL >= MiB, TimeSpan.FromSeconds(5)), "deleting did not free space");
            Assert.Equal((MiB, 0), Mounts.Io(() => { var r = TryWrite(mnt["again"], new byte[MiB]); return ((int)r.Written, r.Errno); }, "write after delete"));
        }
        finally { Stop(p, mnt); }
    }

    [MountFact]
    public void InodeLimit_FilledWithEmptyFiles_ThenENOSPC_TheDaemonStaysUp_AndEveryEarlierFileIsThere()
    {
        const int Inodes = 64;
        using var mnt = new TempMountpoint();
        using var p = StartMemfs(mnt, $"nr_inodes={Inodes}");
        try
        {
            var st = Statfs(mnt.Path);
            Assert.Equal((ulong)Inodes, st.Files);
            Assert.Equal((ulong)Inodes - 1, st.Ffree);                     // the root is one
            Assert.Equal(Inodes, Df(mnt.Path, "--output=itotal"));

            int created = Mounts.Io(() =>
            {
                int n = 0;
                for (; n < 2 * Inodes; n++)
                {
                    int err = OpenErr(mnt[$"e{n}"], O_WRONLY | O_CREAT | O_EXCL);
                    if (err == 0) continue;
                    Assert.Equal(Errno.ENOSPC, err);
                    break;
                }
                return n;
            }, "creating files");
            Assert.Equal(Inodes - 1, created);
            Assert.Equal(Errno.ENOSPC, Err(mkdir(mnt["d"], 0x1ED)));
            Assert.Equal(Errno.ENOSPC, Err(symlink("e0", mnt["l"])));
            Assert.Equal(0, Err(link(mnt["e0"], mnt["hard"])));             // a hard link is no new inode
            Assert.Equal(0UL, Statfs(mnt.Path).Ffree);
            Assert.False(p.HasExited, "the daemon died\n" + p.AllOutput);
            var names = Directory.GetFiles(mnt.Path).Select(Path.GetFileName).ToHashSet();
            for (int i = 0; i < created; i++) Assert.Contains($"e{i}", names);
            for (int i = 0; i < created; i++) Assert.Equal(0, Stat(mnt[$"e{i}"]).Size);

            // Deleting one frees one (once the kernel has released the file).
            Assert.Equal(0, Err(unlink(mnt["e1"])));
            Assert.True(Mounts.WaitUntil(() => Statfs(mnt.Path).Ffree == 1, TimeSpan.FromSeconds(5)), "unlink did not free an inode");
            Assert.Equal(0, Err(mkdir(mnt["d"], 0x1ED)));
        }
        finally { Stop(p, mnt); }
    }

    [MountTheory]
    [InlineData("memfs", "size=12x", "needs a size in bytes")]
    [InlineData("memfs", "nr_inodes=-3", "needs a whole number")]
    [InlineData("loopback", "size=1m", "applies only to memfs")]
    [InlineData("hello", "nr_inodes=10", "applies only to memfs")]
    public void BadValue_OrOnAnotherFilesystem_OneLine_NonZero_NothingMounted(string fs, string option, string expected)
    {
        using var mnt = new TempMountpoint();
        var args = fs == "loopback" ? new[] { fs, mnt.Root, mnt.Path, "-f", "-o", option } : new[] { fs, mnt.Path, "-f", "-o", option };
        using var p = FastFuseProcess.Run(Quick, args);
        Assert.NotEqual(0, p.ExitCode);
        var line = Assert.Single(p.Stderr);
        Assert.StartsWith("fastfuse: ", line);
        Assert.Contains(expected, line);
        Assert.False(Mounts.IsMounted(mnt.Path));
    }
}
