using FastFuse.Mounting;

namespace FastFuse.Tests.Unit;

public sealed class MountOptionsTests
{
    // MS_* values from <sys/mount.h>, spelled out so a wrong constant in the runtime fails here.
    private const ulong RDONLY = 1, NOSUID = 2, NODEV = 4, NOEXEC = 8, SYNCHRONOUS = 16, DIRSYNC = 128,
        NOATIME = 1024, NODIRATIME = 2048, RELATIME = 1 << 21, STRICTATIME = 1 << 24, LAZYTIME = 1 << 25;

    [Fact]
    public void Defaults()
    {
        var o = MountOptions.Parse();
        Assert.False(o.AllowOther);
        Assert.False(o.AllowRoot);
        Assert.False(o.DefaultPermissions);
        Assert.False(o.ReadOnly);
        Assert.Equal("fastfuse", o.FsName);
        Assert.Null(o.Subtype);
        Assert.Null(o.MaxRead);
        Assert.Equal(NOSUID | NODEV, o.MountFlags);
        Assert.Equal(1.0, o.EntryTimeout);
        Assert.Equal(1.0, o.AttrTimeout);
        Assert.Equal(1.0, o.NegativeTimeout);
        Assert.False(o.DirectIo);
        Assert.False(o.Passthrough);
        Assert.False(o.UseFusermount);
        Assert.False(o.LazyUnmount);
        Assert.False(o.Debug);
        Assert.Equal("fuse", o.FsType);
    }

    [Fact]
    public void EveryBooleanOption()
    {
        var o = MountOptions.Parse("allow_other,default_permissions,ro,direct_io,passthrough,fusermount,lazy_umount");
        Assert.True(o.AllowOther);
        Assert.True(MountOptions.Parse("allow_root").AllowRoot);
        Assert.True(o.DefaultPermissions);
        Assert.True(o.ReadOnly);
        Assert.True(o.DirectIo);
        Assert.True(o.Passthrough);
        Assert.True(o.UseFusermount);
        Assert.True(o.LazyUnmount);
        Assert.False(MountOptions.Parse("ro,rw").ReadOnly);           // the last one wins
        Assert.True(MountOptions.Parse("rw", "ro").ReadOnly);
    }

    [Theory]
    [InlineData("nosuid", NOSUID | NODEV)]
    [InlineData("suid", NODEV)]
    [InlineData("dev", NOSUID)]
    [InlineData("suid,dev", 0UL)]
    [InlineData("suid,nosuid", NOSUID | NODEV)]
    [InlineData("noexec", NOSUID | NODEV | NOEXEC)]
    [InlineData("noexec,exec", NOSUID | NODEV)]
    [InlineData("noatime", NOSUID | NODEV | NOATIME)]
    [InlineData("noatime,atime", NOSUID | NODEV)]
    [InlineData("nodiratime", NOSUID | NODEV | NODIRATIME)]
    [InlineData("relatime", NOSUID | NODEV | RELATIME)]
    [InlineData("relatime,norelatime", NOSUID | NODEV | STRICTATIME)]   // not relatime: strictatime
    [InlineData("strictatime,relatime", NOSUID | NODEV | RELATIME)]     // the last atime rule wins
    [InlineData("noatime,strictatime", NOSUID | NODEV | STRICTATIME)]
    [InlineData("relatime,noatime", NOSUID | NODEV | NOATIME)]
    [InlineData("strictatime", NOSUID | NODEV | STRICTATIME)]
    [InlineData("sync", NOSUID | NODEV | SYNCHRONOUS)]
    [InlineData("sync,async", NOSUID | NODEV)]
    [InlineData("dirsync", NOSUID | NODEV | DIRSYNC)]
    [InlineData("lazytime", NOSUID | NODEV | LAZYTIME)]
    public void VfsFlags(string list, ulong expected)
    {
        Assert.Equal(expected, MountOptions.Parse(list).MountFlags);
        Assert.Equal(0UL, MountOptions.Parse(list).MountFlags & RDONLY);   // ro is separate (ReadOnly)
    }

    [Fact]
    public void ValuedOptions()
    {
        var o = MountOptions.Parse("fsname=myfs,subtype=memfs,max_read=131072");
        Assert.Equal("myfs", o.FsName);
        Assert.Equal("memfs", o.Subtype);
        Assert.Equal(131072u, o.MaxRead);
        Assert.Equal("fuse.memfs", o.FsType);
    }

    [Fact]
    public void EscapedCommaInAValue()
    {
        var o = MountOptions.Parse(@"fsname=a\,b,ro");
        Assert.Equal("a,b", o.FsName);
        Assert.True(o.ReadOnly);
    }

    [Fact]
    public void EscapedCommaInASubtype_IsAnError()
    {
        // The subtype becomes the filesystem type (fuse.SUBTYPE): no comma there.
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(@"subtype=a\,b"));
        Assert.Contains("subtype", e.Message);
    }

    [Fact]
    public void EmptySubtype_IsThePlainFuseType()
    {
        var o = MountOptions.Parse("subtype=");
        Assert.Equal("", o.Subtype);
        Assert.Equal("fuse", o.FsType);
        Assert.DoesNotContain("subtype", o.FusermountOptions());
        Assert.Equal("fuse.x", MountOptions.Parse("subtype=x").FsType);
        Assert.Null(MountOptions.Parse("ro").Subtype);                 // not given: the CLI names it after the filesystem
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("2", 2.0)]
    [InlineData("0.5", 0.5)]
    [InlineData("1.25", 1.25)]
    [InlineData(".001", 0.001)]
    [InlineData("1e2", 100.0)]
    public void Timeouts_AcceptFractions(string value, double seconds)
    {
        var o = MountOptions.Parse($"entry_timeout={value},attr_timeout={value},negative_timeout={value}");
        Assert.Equal(seconds, o.EntryTimeout);
        Assert.Equal(seconds, o.AttrTimeout);
        Assert.Equal(seconds, o.NegativeTimeout);
    }

    [Fact]
    public void Blksize_IsRefused_ItIsForFuseblk()
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse("blksize=4096"));
        Assert.StartsWith("mount option 'blksize' is for fuseblk mounts", e.Message);
        Assert.Contains("mutually exclusive", Assert.Throws<MountException>(() => MountOptions.Parse("allow_root,allow_other")).Message);
    }

    [Fact]
    public void LibfuseCacheOptions_AreParsed_AndContradictionsRefused()
    {
        var o = MountOptions.Parse("writeback_cache,kernel_cache");
        Assert.True(o.WritebackCache);
        Assert.True(o.KernelCache);
        Assert.False(MountOptions.Parse("writeback_cache,no_writeback_cache").WritebackCache);
        Assert.True(MountOptions.Parse("auto_cache").AutoCache);
        Assert.Contains("cannot be used together", Assert.Throws<MountException>(() => MountOptions.Parse("writeback_cache,passthrough")).Message);
        Assert.Contains("contradict", Assert.Throws<MountException>(() => MountOptions.Parse("kernel_cache", "auto_cache")).Message);
        Assert.Contains("takes no value", Assert.Throws<MountException>(() => MountOptions.Parse("writeback_cache=1")).Message);
    }

    [Theory]
    [InlineData("noforget", "noforget")]
    [InlineData("remember=5", "remember")]
    public void NoforgetAndRemember_AreRefused_WithTheirReason(string option, string key)
    {
        // Accepted and ignored they would promise a behaviour nothing delivers: refused, saying why.
        var e = Assert.Throws<MountException>(() => MountOptions.Parse("ro," + option));
        Assert.StartsWith($"mount option '{key}' is libfuse's high-level path API's", e.Message);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public void AutoUnmount_ReachesFusermount3()
    {
        var o = MountOptions.Parse("auto_unmount");
        Assert.True(o.AutoUnmount);
        Assert.Contains(",auto_unmount", o.FusermountOptions());
        Assert.DoesNotContain("auto_unmount", new MountOptions().FusermountOptions());
        Assert.DoesNotContain("auto_unmount", o.KernelData(3, 0x4000, 0, 0));
    }

    [Fact]
    public void Debug_IsLibfusesDashD()
    {
        Assert.True(MountOptions.Parse("ro,debug").Debug);
        Assert.Contains("takes no value", Assert.Throws<MountException>(() => MountOptions.Parse("debug=1")).Message);
    }

    [Fact]
    public void EmptyItemsAreIgnored()
    {
        var o = MountOptions.Parse(",,ro,,", "");
        Assert.True(o.ReadOnly);
    }

    [Theory]
    [InlineData("bogus", "bogus")]
    [InlineData("ro,frobnicate=3", "frobnicate=3")]
    [InlineData("Ro", "Ro")]                                    // case matters
    public void UnknownOption_IsAnError(string list, string named)
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(list));
        Assert.Contains($"'{named}'", e.Message);
        Assert.Contains("unknown mount option", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("fsname")]
    [InlineData("fsname=")]
    [InlineData("subtype")]
    [InlineData("max_read")]
    [InlineData("entry_timeout")]
    [InlineData("attr_timeout=")]
    public void MissingValue_IsAnError(string list)
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(list));
        Assert.Contains(list.TrimEnd('='), e.Message);
    }

    [Theory]
    [InlineData("max_read=abc")]
    [InlineData("max_read=-1")]
    [InlineData("max_read=+4096")]
    [InlineData("max_read=4096.5")]
    [InlineData("max_read=100")]              // below 4096
    [InlineData("max_read=99999999999")]      // past uint
    [InlineData("entry_timeout=abc")]
    [InlineData("entry_timeout=-1")]
    [InlineData("attr_timeout=NaN")]
    [InlineData("negative_timeout=1e10")]
    [InlineData("negative_timeout=Infinity")]
    public void BadNumber_IsAnError(string list)
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(list));
        Assert.Contains(list[..list.IndexOf('=')], e.Message);
        Assert.Contains(list[(list.IndexOf('=') + 1)..], e.Message);
    }

    [Theory]
    [InlineData("max_read=4096", 4096u)]
    [InlineData("max_read=1073741824", 1u << 30)]
    public void NumberBounds_AreInclusive(string list, uint expected) =>
        Assert.Equal(expected, MountOptions.Parse(list).MaxRead);

    [Theory]
    [InlineData("allow_other=1")]
    [InlineData("ro=yes")]
    [InlineData("direct_io=")]
    [InlineData("nosuid=0")]
    [InlineData("lazy_umount=true")]
    public void FlagGivenAValue_IsAnError(string list)
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(list));
        Assert.Contains("takes no value", e.Message);
    }

    [Theory]
    [InlineData("size=4096", 4096L)]
    [InlineData("size=1", 4096L)]                       // rounded up to a page, as tmpfs
    [InlineData("size=100k", 102400L)]
    [InlineData("size=8m", 8L << 20)]
    [InlineData("size=8M", 8L << 20)]
    [InlineData("size=2g", 2L << 30)]
    [InlineData("size=1t", 1L << 40)]
    [InlineData("size=0", 0L)]                          // no limit, as tmpfs
    public void Size_TakesTmpfsSuffixes(string list, long expected) => Assert.Equal(expected, MountOptions.Parse(list).Size);

    [Fact]
    public void Size_InPercent_IsOfPhysicalMemory()
    {
        long total = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        long half = MountOptions.Parse("size=50%").Size!.Value;
        Assert.InRange(half, total / 2, total / 2 + 4096);
        Assert.Equal(0, half % 4096);
        Assert.Null(MountOptions.Parse("").Size);
    }

    [Theory]
    [InlineData("nr_inodes=100", 100L)]
    [InlineData("nr_inodes=2k", 2048L)]
    [InlineData("nr_inodes=1m", 1L << 20)]
    [InlineData("nr_inodes=0", 0L)]
    public void NrInodes_TakesSuffixes(string list, long expected) => Assert.Equal(expected, MountOptions.Parse(list).NrInodes);

    [Theory]
    [InlineData("size", "needs a size in bytes")]
    [InlineData("size=", "needs a size in bytes")]
    [InlineData("size=12x", "needs a size in bytes")]
    [InlineData("size=-1", "needs a size in bytes")]
    [InlineData("size=m", "needs a size in bytes")]
    [InlineData("size=1.5g", "needs a size in bytes")]
    [InlineData("size=101%", "up to 100%")]
    [InlineData("size=99999999999t", "too large")]
    [InlineData("nr_inodes=5%", "needs a whole number")]
    [InlineData("nr_inodes=1t", "needs a whole number")]
    [InlineData("nr_inodes=lots", "needs a whole number")]
    public void BadSizeOrInodeCount_IsOneClearError(string list, string expected)
    {
        var e = Assert.Throws<MountException>(() => MountOptions.Parse(list));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void KernelData_HoldsFdRootmodeIdsAndTheFuseOptions()
    {
        Assert.Equal("fd=5,rootmode=40000,user_id=1000,group_id=100",
            MountOptions.Parse().KernelData(5, 0x4000, 1000, 100));
        Assert.Equal("fd=7,rootmode=40755,user_id=0,group_id=0,default_permissions,allow_other,max_read=65536",
            MountOptions.Parse("allow_other,default_permissions,max_read=65536,ro,fsname=x,subtype=y,noexec,entry_timeout=3")
                .KernelData(7, 0x41ED, 0, 0));
    }

    [Fact]
    public void FusermountOptions_String()
    {
        Assert.Equal("fsname=fastfuse,rw,nosuid,nodev", MountOptions.Parse().FusermountOptions());
        Assert.Equal(@"fsname=a\,b,subtype=memfs,ro,suid,dev,noexec,noatime,nodiratime,sync,dirsync,default_permissions,allow_other,max_read=8192",
            MountOptions.Parse(@"fsname=a\,b,subtype=memfs,ro,suid,dev,noexec,noatime,nodiratime,sync,dirsync,allow_root,default_permissions,max_read=8192")
                .FusermountOptions());
        // A comma in the fsname is escaped for fusermount3.
        Assert.Equal(@"fsname=x\,y,rw,nosuid,nodev", new MountOptions { FsName = "x,y" }.FusermountOptions());
        // Runtime-only options never reach fusermount3.
        Assert.Equal("fsname=fastfuse,rw,nosuid,nodev",
            MountOptions.Parse("direct_io,entry_timeout=0.5,lazy_umount,debug").FusermountOptions());
    }
}
