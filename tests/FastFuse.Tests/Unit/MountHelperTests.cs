using FastFuse.Cli;
using FastFuse.Mounting;

namespace FastFuse.Tests.Unit;

/// <summary>mount(8)'s call of /sbin/mount.fuse.fastfuse, turned into the command's own arguments.</summary>
public sealed class MountHelperTests
{
    [Theory]
    [InlineData("/sbin/mount.fuse.fastfuse", true)]
    [InlineData("mount.fuse.myname", true)]
    [InlineData("/usr/local/bin/fastfuse", false)]
    [InlineData("mount.fuse3", false)]
    public void HelperName(string argv0, bool helper) => Assert.Equal(helper, MountHelper.IsHelperName(argv0));

    [Fact]
    public void MountsOwnOptionsAreDropped_TheRestPassed()
    {
        var args = MountHelper.Translate(["memfs", "/mnt/x", "-n", "-v", "-o",
            "rw,defaults,noauto,auto,nofail,_netdev,user,nouser,users,owner,group,x-systemd.automount,comment=hi,noexec,allow_other,fsname=a\\,b"], out bool fake);
        Assert.False(fake);
        Assert.Equal(new[] { "memfs", "/mnt/x", "-o", "rw,noexec,allow_other,fsname=a\\,b" }, args);
        var cli = CliOptions.Parse(args);
        Assert.Equal("a,b", cli.Mount.FsName);
        Assert.True(cli.Mount.AllowOther);
        Assert.False(cli.Foreground);          // mount(8) waits for the helper: it detaches once mounted
    }

    [Fact]
    public void LoopbackSource_AndNoOptions()
    {
        var args = MountHelper.Translate(["loopback:/srv/data", "/mnt/y", "-t", "fuse.fastfuse"], out _);
        Assert.Equal(new[] { "loopback:/srv/data", "/mnt/y" }, args);
        var cli = CliOptions.Parse(args);
        Assert.Equal("loopback", cli.FileSystem);
        Assert.Equal("/srv/data", cli.Source);
        Assert.Equal("/mnt/y", cli.Mountpoint);
    }

    [Fact]
    public void Fake_ChecksButMountsNothing()
    {
        MountHelper.Translate(["memfs", "/m", "-f", "-o", "rw"], out bool fake);
        Assert.True(fake);
    }

    [Theory]
    [InlineData(new[] { "memfs", "/m", "-s" }, "-s (sloppy")]
    [InlineData(new[] { "memfs", "/m", "-N", "/proc/1/ns/mnt" }, "unknown mount helper option '-N'")]
    [InlineData(new[] { "memfs", "/m", "-t", "ext4" }, "not a FUSE type")]
    [InlineData(new[] { "memfs" }, "usage: mount.fuse.fastfuse SOURCE MOUNTPOINT")]
    [InlineData(new[] { "memfs", "/m", "-o" }, "-o needs an option list")]
    public void BadHelperArguments(string[] args, string expected) =>
        Assert.Contains(expected, Assert.Throws<MountException>(() => MountHelper.Translate(args, out _)).Message);

    [Fact]
    public void LoopbackColonForm_OnTheCommandLine()
    {
        var cli = CliOptions.Parse(["loopback:/src", "/mnt"]);
        Assert.Equal(("loopback", "/src", "/mnt"), (cli.FileSystem, cli.Source, cli.Mountpoint));
        Assert.Contains("needs a SOURCE", Assert.Throws<MountException>(() => CliOptions.Parse(["loopback:", "/mnt"])).Message);
    }
}
