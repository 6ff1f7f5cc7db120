using FastFuse.Api;
using FastFuse.Interop;

namespace FastFuse.Tests.Unit;

/// <summary>The atime rules as fs/inode.c applies them, and how they are read from mount flags and mountinfo.</summary>
public class AtimePolicyTests
{
    private const long Now = 1_800_000_000;

    private static bool Wants(AtimePolicy p, bool dir, long atime, long mtime, long ctime) =>
        p.Wants(dir, atime, 0, mtime, 0, ctime, 0, Now);

    [Fact]
    public void Relatime_UpdatesWhenNotAfterMtimeOrCtime_OrADayOld()
    {
        var p = AtimePolicy.Default;
        Assert.False(Wants(p, false, Now - 10, Now - 20, Now - 20));        // newer than both, fresh
        Assert.True(Wants(p, false, Now - 20, Now - 20, Now - 30));         // equal to mtime
        Assert.True(Wants(p, false, Now - 20, Now - 30, Now - 10));         // before ctime
        Assert.True(Wants(p, false, Now - AtimePolicy.RelatimeWindowSec, Now - 2 * AtimePolicy.RelatimeWindowSec, Now - 2 * AtimePolicy.RelatimeWindowSec));
        Assert.False(Wants(p, false, Now - AtimePolicy.RelatimeWindowSec + 1, Now - 2 * AtimePolicy.RelatimeWindowSec, Now - 2 * AtimePolicy.RelatimeWindowSec));
        Assert.False(p.Wants(false, Now - 20, 5, Now - 20, 4, Now - 30, 0, Now));   // nanoseconds count
    }

    [Fact]
    public void Strict_Never_NoDirAtime_ReadOnly()
    {
        Assert.True(Wants(new(AtimeMode.Strict, false, false), true, Now - 1, Now - 5, Now - 5));
        Assert.False(Wants(new(AtimeMode.Never, false, false), false, 0, Now, Now));
        Assert.False(Wants(new(AtimeMode.Strict, true, false), true, 0, Now, Now));
        Assert.True(Wants(new(AtimeMode.Strict, true, false), false, Now - 1, 0, 0));
        Assert.False(Wants(new(AtimeMode.Strict, false, true), false, 0, Now, Now));
    }

    [Theory]
    [InlineData("rw,nosuid,nodev,relatime", AtimeMode.Relatime, false, false)]
    [InlineData("rw,nosuid,nodev,noatime,nodiratime", AtimeMode.Never, true, false)]
    [InlineData("ro,nosuid,nodev", AtimeMode.Strict, false, true)]
    [InlineData("rw,relatime,nodiratime", AtimeMode.Relatime, true, false)]
    public void FromMountinfo(string options, AtimeMode mode, bool noDir, bool ro) =>
        Assert.Equal(new AtimePolicy(mode, noDir, ro), AtimePolicy.FromMountinfoOptions(options));

    [Fact]
    public void FromMountFlags_AsPathMount()
    {
        Assert.Equal(AtimeMode.Relatime, AtimePolicy.FromMountFlags(0).Mode);
        Assert.Equal(AtimeMode.Never, AtimePolicy.FromMountFlags(Libc.MS_NOATIME).Mode);
        Assert.Equal(AtimeMode.Strict, AtimePolicy.FromMountFlags(Libc.MS_STRICTATIME | Libc.MS_NOATIME).Mode);
        Assert.True(AtimePolicy.FromMountFlags(Libc.MS_NODIRATIME | Libc.MS_RDONLY) is { NoDirAtime: true, ReadOnly: true });
    }
}
