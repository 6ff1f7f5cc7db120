using FastFuse.Cli;
using FastFuse.Mounting;

namespace FastFuse.Tests.Unit;

public sealed class CliOptionsTests
{
    [Fact]
    public void MemfsWithMountpoint()
    {
        var o = CliOptions.Parse(["memfs", "/mnt/x"]);
        Assert.Equal("memfs", o.FileSystem);
        Assert.Equal("/mnt/x", o.Mountpoint);
        Assert.Null(o.Source);
        Assert.False(o.Foreground);
        Assert.False(o.Debug);
        Assert.False(o.PrintStats);
        Assert.Null(o.Threads);
        Assert.Empty(o.OptionLists);
        Assert.Equal("fastfuse", o.Mount.FsName);
    }

    [Fact]
    public void LoopbackTakesSourceAndMountpoint()
    {
        var o = CliOptions.Parse(["loopback", "/src", "/mnt"]);
        Assert.Equal("loopback", o.FileSystem);
        Assert.Equal("/src", o.Source);
        Assert.Equal("/mnt", o.Mountpoint);
    }

    [Fact]
    public void FlagsMayComeAnywhere()
    {
        var o = CliOptions.Parse(["-f", "hello", "--stats", "/mnt/h"]);
        Assert.Equal("hello", o.FileSystem);
        Assert.Equal("/mnt/h", o.Mountpoint);
        Assert.True(o.Foreground);
        Assert.True(o.PrintStats);
        Assert.False(o.Debug);
    }

    [Fact]
    public void OptionListsAreRepeatable_InBothForms()
    {
        var o = CliOptions.Parse(["memfs", "/m", "-o", "ro,fsname=one", "-oallow_other", "-o", "fsname=two"]);
        Assert.Equal(new[] { "ro,fsname=one", "allow_other", "fsname=two" }, o.OptionLists);
        Assert.True(o.Mount.ReadOnly);
        Assert.True(o.Mount.AllowOther);
        Assert.Equal("two", o.Mount.FsName);
    }

    [Theory]
    [InlineData(new[] { "memfs", "/m", "--threads", "4" }, 4)]
    [InlineData(new[] { "memfs", "/m", "--threads=7" }, 7)]
    [InlineData(new[] { "--threads", "1", "memfs", "/m" }, 1)]
    [InlineData(new[] { "memfs", "/m", "--threads=256" }, 256)]
    public void Threads(string[] args, int expected) => Assert.Equal(expected, CliOptions.Parse(args).Threads);

    [Theory]
    [InlineData("-d")]
    [InlineData("--debug")]
    public void DebugImpliesForeground(string flag)
    {
        var o = CliOptions.Parse(["memfs", "/m", flag]);
        Assert.True(o.Debug);
        Assert.True(o.Foreground);
    }

    [Theory]
    [InlineData("memfs", "passthrough", "is for loopback only")]
    [InlineData("memfs", "no_splice_read", "is for loopback only")]
    [InlineData("hello", "passthrough", "is for loopback only")]
    [InlineData("hello", "direct_io", "does not apply to hello")]
    [InlineData("hello", "entry_timeout=0", "does not apply to hello")]
    [InlineData("hello", "attr_timeout=2", "does not apply to hello")]
    [InlineData("hello", "negative_timeout=0", "does not apply to hello")]
    public void OptionsTheFileSystemWouldIgnore_AreRefused(string fs, string option, string expected)
    {
        var e = Assert.Throws<MountException>(() => CliOptions.Parse([fs, "/m", "-o", option]));
        Assert.Contains($"'{option.Split('=')[0]}' {expected}", e.Message);
        // loopback takes them all; memfs takes direct_io and the timeouts.
        CliOptions.Parse(["loopback", "/src", "/m", "-o", option]);
        if (fs == "hello" && !option.StartsWith("passthrough")) CliOptions.Parse(["memfs", "/m", "-o", option]);
    }

    [Fact]
    public void DashODebug_IsDashD()
    {
        var o = CliOptions.Parse(["memfs", "/m", "-o", "ro,debug"]);
        Assert.True(o.Debug);
        Assert.True(o.Foreground);
        Assert.True(o.Mount.Debug);
        Assert.True(CliOptions.Parse(["memfs", "/m", "-d"]).Mount.Debug);
        Assert.False(CliOptions.Parse(["memfs", "/m"]).Mount.Debug);
    }

    [Fact]
    public void DashS_IsOneThread()
    {
        Assert.Equal(1, CliOptions.Parse(["memfs", "/m", "-s"]).Threads);
        Assert.Equal(1, CliOptions.Parse(["-s", "memfs", "/m", "--threads", "1"]).Threads);
    }

    [Fact]
    public void DashS_AndMoreThreads_Contradict()
    {
        var e = Assert.Throws<MountException>(() => CliOptions.Parse(["memfs", "/m", "-s", "--threads", "3"]));
        Assert.Equal("-s (one thread) contradicts --threads 3", e.Message);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Help_NeedsNothingElse(string flag)
    {
        var o = CliOptions.Parse([flag]);
        Assert.True(o.Help);
        Assert.Null(o.Mountpoint);
        Assert.True(CliOptions.Parse(["memfs", flag, "-o", "bogus"]).Help);   // help wins over a bad option
    }

    [Theory]
    [InlineData("-V")]
    [InlineData("--version")]
    public void Version_NeedsNothingElse(string flag) => Assert.True(CliOptions.Parse([flag]).Version);

    [Theory]
    [InlineData(new string[0], "no filesystem")]
    [InlineData(new[] { "memfs" }, "memfs needs a MOUNTPOINT")]
    [InlineData(new[] { "hello", "-f" }, "hello needs a MOUNTPOINT")]
    [InlineData(new[] { "loopback", "/src" }, "loopback needs SOURCE and MOUNTPOINT")]
    [InlineData(new[] { "ntfs", "/m" }, "unknown filesystem 'ntfs'")]
    [InlineData(new[] { "memfs", "/m", "--frob" }, "unknown option '--frob'")]
    [InlineData(new[] { "memfs", "/m", "-x" }, "unknown option '-x'")]
    [InlineData(new[] { "memfs", "/m", "/extra" }, "unexpected argument '/extra'")]
    [InlineData(new[] { "loopback", "/s", "/m", "/extra" }, "unexpected argument '/extra'")]
    [InlineData(new[] { "memfs", "/m", "-o" }, "-o needs an option list")]
    [InlineData(new[] { "memfs", "/m", "--threads" }, "--threads needs a number")]
    [InlineData(new[] { "memfs", "/m", "--threads", "0" }, "--threads needs a whole number from 1 to 256 (got '0')")]
    [InlineData(new[] { "memfs", "/m", "--threads=257" }, "(got '257')")]
    [InlineData(new[] { "memfs", "/m", "--threads=-2" }, "(got '-2')")]
    [InlineData(new[] { "memfs", "/m", "--threads", "four" }, "(got 'four')")]
    [InlineData(new[] { "memfs", "/m", "-o", "bogus" }, "unknown mount option 'bogus'")]
    [InlineData(new[] { "memfs", "/m", "-oro=1" }, "takes no value")]
    public void Errors_AreOneClearLine(string[] args, string expected)
    {
        var e = Assert.Throws<MountException>(() => CliOptions.Parse(args));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void LoneDash_IsPositional()
    {
        // "-" is not an option; as a mountpoint it is simply a (strange) path.
        var o = CliOptions.Parse(["memfs", "-"]);
        Assert.Equal("-", o.Mountpoint);
    }

    [Fact]
    public void UsageNamesEveryFilesystemAndFlag()
    {
        foreach (var fs in CliOptions.FileSystems) Assert.Contains(fs, CliOptions.Usage);
        foreach (var flag in new[] { "-o", "-f", "-d", "--threads", "--stats", "--help", "--version" })
            Assert.Contains(flag, CliOptions.Usage);
    }
}

public class CliSpinOptionTests
{
    [Theory]
    [InlineData(new[] { "memfs", "/m", "--spin", "0" }, 0)]
    [InlineData(new[] { "memfs", "/m", "--spin=120" }, 120)]
    public void Spin_IsParsedInMicroseconds(string[] args, int expected) =>
        Assert.Equal(expected, FastFuse.Cli.CliOptions.Parse(args).SpinMicroseconds);

    [Fact]
    public void Spin_DefaultsToTheSessionDefault() => Assert.Null(FastFuse.Cli.CliOptions.Parse(new[] { "memfs", "/m" }).SpinMicroseconds);

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("2000000")]
    public void Spin_RejectsBadValues(string value)
    {
        var e = Assert.Throws<FastFuse.Mounting.MountException>(() => FastFuse.Cli.CliOptions.Parse(new[] { "memfs", "/m", "--spin", value }));
        Assert.Contains($"(got '{value}')", e.Message);
    }
}
