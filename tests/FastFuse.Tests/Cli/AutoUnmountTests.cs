using FastFuse.Filesystems;
using FastFuse.Mounting;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Cli;

/// <summary>
/// -o auto_unmount: a daemon killed with SIGKILL leaves no mount behind (without it the mount stays, answering
/// ENOTCONN: AbortAndStaleMountTests), and a daemon that unmounts cleanly leaves no watcher that could later
/// unmount someone else's mount on the same directory.
/// </summary>
public sealed class AutoUnmountTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Processes whose command line has every one of <paramref name="words"/>.</summary>
    private static List<int> Pids(params string[] words)
    {
        var list = new List<int>();
        foreach (int pid in Mounts.PidsWithArg(words[0]))
        {
            try
            {
                var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
                if (words.All(w => args.Any(a => a == w || a.Contains(w))) && Mounts.IsAlive(pid)) list.Add(pid);
            }
            catch (IOException) { }
        }
        return list;
    }

    private static void AssertGoneAfterSigkill(int daemon, TempMountpoint mnt)
    {
        Mounts.Io(() => File.WriteAllText(mnt["before-the-kill"], "x"), "write");
        Assert.True(FastFuseProcess.Kill(daemon, FastFuseProcess.SIGKILL));
        Assert.True(Mounts.WaitUntil(() => !Mounts.IsMounted(mnt.Path), Wait), "the mount is still there after the daemon was killed");
        // The directory underneath answers again (no ENOTCONN), empty.
        Assert.Empty(Directory.EnumerateFileSystemEntries(mnt.Path));
    }

    private static void Cleanup(TempMountpoint mnt)
    {
        Mounts.ForceUnmount(mnt.Path);
        foreach (int pid in Mounts.PidsWithArg(mnt.Path)) FastFuseProcess.Kill(pid, FastFuseProcess.SIGKILL);
    }

    [MountTheory]
    [InlineData("auto_unmount")]               // as root: mount(2) and fastfuse's own watcher
    [InlineData("auto_unmount,fusermount")]    // fusermount3 mounts and watches
    public void Foreground_KilledWithSigkill_TheMountGoes(string options)
    {
        using var mnt = new TempMountpoint();
        using var p = FastFuseProcess.Start("memfs", mnt.Path, "-f", "-o", options);
        try
        {
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, Wait) && !p.HasExited, "no mount\n" + p.AllOutput);
            // The watcher starts just after the mount shows (the daemon starts it once mount(2) returned).
            List<int> Watchers() => options.Contains("fusermount") ? Pids(mnt.Path, "fusermount3", "auto_unmount") : Pids(mnt.Path, "--internal-auto-unmount-watcher");
            Assert.True(Mounts.WaitUntil(() => Watchers().Count == 1, Wait), $"expected one watcher, found [{string.Join(", ", Watchers())}]");
            var watchers = Watchers();
            AssertGoneAfterSigkill(p.Pid, mnt);
            Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(watchers[0]), Wait), "the watcher did not exit");
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void DetachedDaemon_KilledWithSigkill_TheMountGoes()
    {
        using var mnt = new TempMountpoint();
        try
        {
            using (var parent = FastFuseProcess.Run(Wait, "memfs", mnt.Path, "-o", "auto_unmount"))
                Assert.True(parent.ExitCode == 0, parent.AllOutput);
            int daemon = Assert.Single(Pids(mnt.Path, "--internal-daemon-child"));
            AssertGoneAfterSigkill(daemon, mnt);
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void CleanExit_TheWatcherStandsDown_AndLeavesTheNextMountAlone()
    {
        using var mnt = new TempMountpoint();
        try
        {
            using (var p = FastFuseProcess.Start("memfs", mnt.Path, "-f", "-o", "auto_unmount"))
            {
                Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, Wait) && !p.HasExited, "no mount\n" + p.AllOutput);
                Assert.True(Mounts.WaitUntil(() => Pids(mnt.Path, "--internal-auto-unmount-watcher").Count == 1, Wait), "no watcher");
                int watcher = Pids(mnt.Path, "--internal-auto-unmount-watcher")[0];
                p.Signal(FastFuseProcess.SIGINT);
                Assert.True(p.WaitForExit(Wait), "no exit on SIGINT\n" + p.AllOutput);
                Assert.Equal(0, p.ExitCode);
                Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(watcher), Wait), "the watcher stays after a clean unmount");
            }
            // Someone else mounts on the same directory right away: nothing unmounts it.
            using var next = FastFuseProcess.Start("memfs", mnt.Path, "-f");
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || next.HasExited, Wait) && !next.HasExited, "no second mount\n" + next.AllOutput);
            Thread.Sleep(500);
            Assert.True(Mounts.IsMounted(mnt.Path), "the second mount was unmounted");
            next.Signal(FastFuseProcess.SIGINT);
            Assert.True(next.WaitForExit(Wait));
        }
        finally
        {
            Cleanup(mnt);
        }
    }

    [MountFact]
    public void Library_WithoutAWatcherOfItsOwn_UsesFusermount3sWatcher()
    {
        // The test host sets no AutoUnmountWatcher.Command: auto_unmount then goes through fusermount3, even as root.
        Assert.Null(AutoUnmountWatcher.Command);
        using var mnt = new TempMountpoint();
        using var session = FuseSession.Mount(new MemFs(), mnt.Path, MountOptions.Parse("auto_unmount"));
        session.Start();
        Assert.True(session.WaitForInit(Wait));
        Assert.Equal(MountMethod.Fusermount, session.MountHandle!.Method);
        int fusermount = Assert.Single(Pids(mnt.Path, "fusermount3", "auto_unmount"));
        File.WriteAllText(mnt["lib"], "x");
        Assert.Equal(0, session.Unmount());
        Assert.False(Mounts.IsMounted(mnt.Path));
        Assert.True(Mounts.WaitUntil(() => !Mounts.IsAlive(fusermount), Wait), "fusermount3 stays after the unmount");
    }
}
