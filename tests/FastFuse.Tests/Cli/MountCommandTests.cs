using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>
/// Mounting through mount(8) as /etc/fstab does it, with an fstab-style line (mount -T FILE MOUNTPOINT) and an
/// empty environment, as at boot: the `PROGRAM#SOURCE` form of type fuse (mount(8) → mount.fuse3 → fastfuse,
/// with no PATH) and the `fuse.NAME` form through a mount.fuse.NAME link to the binary (scripts/install.sh makes
/// /sbin/mount.fuse.fastfuse).
/// </summary>
public sealed class MountCommandTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    private static CommandResult Mount(params string[] args) =>
        Command.Run("/usr/bin/mount", args, Quick, clearEnv: true);

    /// <summary>mount(8) with the fstab line for <paramref name="mnt"/> (mount -T FILE MOUNTPOINT).</summary>
    private static CommandResult MountFromFstab(TempMountpoint mnt, string line)
    {
        string fstab = Path.Combine(mnt.Root, "fstab");
        File.WriteAllText(fstab, "# written by MountCommandTests\n" + line + "\n");
        return Mount("-T", fstab, mnt.Path);
    }

    /// <summary>The mount options mountinfo shows for <paramref name="path"/> (per-mount and superblock).</summary>
    private static string[] Options(string path)
    {
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (f.Length > 5 && f[4] == path && dash > 0 && dash + 3 < f.Length)
                return f[5].Split(',').Concat(f[dash + 3].Split(',')).ToArray();
        }
        return Array.Empty<string>();
    }

    private static void UnmountAndWaitForTheDaemon(TempMountpoint mnt)
    {
        var daemons = Mounts.PidsWithArg(mnt.Path).Where(Mounts.IsAlive).ToList();
        Assert.True(daemons.Count == 1, $"expected one daemon, found [{string.Join(", ", daemons)}]");
        var r = Command.Run("/usr/bin/umount", new[] { mnt.Path }, Quick);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.False(Mounts.IsMounted(mnt.Path));
        Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(daemons[0]), TimeSpan.FromSeconds(20)), "the daemon still runs after umount");
    }

    private static void Cleanup(TempMountpoint mnt)
    {
        Mounts.ForceUnmount(mnt.Path);
        foreach (int pid in Mounts.PidsWithArg(mnt.Path)) FastFuseProcess.Kill(pid, FastFuseProcess.SIGKILL);
    }

    [MountTheory]
    [InlineData("memfs")]
    [InlineData("loopback")]
    public void FstabLine_TypeFuse_ProgramHashSource_ThroughMountFuse3(string fs)
    {
        Assert.True(File.Exists("/sbin/mount.fuse3"), "mount.fuse3 (Debian's fuse3) is not installed");
        using var mnt = new TempMountpoint();
        string src = Path.Combine(mnt.Root, "src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "from-source"), "source file");
        string source = fs == "memfs" ? "memfs" : "loopback:" + src;
        try
        {
            // users: mount(8) adds noexec,nosuid,nodev; noauto, nofail, _netdev are mount(8)'s and never reach fastfuse.
            var r = MountFromFstab(mnt, $"{FastFuseBinary.Executable}#{source} {mnt.Path} fuse rw,noauto,nofail,_netdev,users,fsname=fstab-{fs} 0 0");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Empty(r.Stderr);
            Assert.Equal($"fuse.{fs}", Mounts.TypeAt(mnt.Path));
            var opts = Options(mnt.Path);
            Assert.Contains("noexec", opts);
            Assert.Contains("rw", opts);

            Mounts.Io(() => File.WriteAllText(mnt["via-fstab"], "written through mount(8)"), "write");
            Assert.Equal("written through mount(8)", Mounts.Io(() => File.ReadAllText(mnt["via-fstab"]), "read"));
            if (fs == "loopback")
            {
                Assert.Equal("source file", Mounts.Io(() => File.ReadAllText(mnt["from-source"]), "read the source"));
                Assert.Equal("written through mount(8)", File.ReadAllText(Path.Combine(src, "via-fstab")));
            }
            UnmountAndWaitForTheDaemon(mnt);
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void FstabLine_TypeFuseDotName_ThroughAMountFuseLinkToTheBinary()
    {
        // A name of its own, so the test needs no installed /sbin/mount.fuse.fastfuse and leaves none behind.
        string type = $"fastfuse-test{Environment.ProcessId}";
        string helper = $"/sbin/mount.fuse.{type}";
        using var mnt = new TempMountpoint();
        File.CreateSymbolicLink(helper, FastFuseBinary.Executable);
        try
        {
            var r = MountFromFstab(mnt, $"memfs {mnt.Path} fuse.{type} defaults,noauto,nofail,_netdev,x-systemd.automount,comment=test,allow_other,fsname=by-helper 0 0");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Empty(r.Stderr);
            Assert.Equal("fuse.memfs", Mounts.TypeAt(mnt.Path));
            Assert.Contains("allow_other", Options(mnt.Path));
            Mounts.Io(() => File.WriteAllText(mnt["f"], "helper"), "write");
            Assert.Equal("helper", Mounts.Io(() => File.ReadAllText(mnt["f"]), "read"));
            UnmountAndWaitForTheDaemon(mnt);
        }
        finally
        {
            File.Delete(helper);
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void CommandLine_MountDashTFuse_ProgramHashSource()
    {
        using var mnt = new TempMountpoint();
        try
        {
            var r = Mount("-t", "fuse", $"{FastFuseBinary.Executable}#hello", mnt.Path);
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Equal("Hello, World!", Mounts.Io(() => File.ReadAllText(mnt["hello"]), "read").TrimEnd('\n'));
            UnmountAndWaitForTheDaemon(mnt);
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void ThroughMount_AnOptionFastfuseDoesNotHave_IsRefused_AndNothingMounted()
    {
        using var mnt = new TempMountpoint();
        try
        {
            var r = Mount("-t", "fuse", $"{FastFuseBinary.Executable}#memfs", mnt.Path, "-o", "big_writes");
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(r.Stderr, l => l.Contains("fastfuse: unknown mount option 'big_writes'"));
            Assert.False(Mounts.IsMounted(mnt.Path));
        }
        finally
        {
            Cleanup(mnt);
        }
    }
}
