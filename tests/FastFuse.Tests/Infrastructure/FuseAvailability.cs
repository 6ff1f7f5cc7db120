using FastFuse.Transport.DevFuse;

namespace FastFuse.Tests.Infrastructure;

/// <summary>Whether this machine can mount: /dev/fuse must open. Checked once.</summary>
public static class FuseAvailability
{
    private static readonly Lazy<string?> s_reason = new(() =>
    {
        int fd = DevFuseChannel.OpenDevice();
        if (fd < 0) return $"/dev/fuse cannot be opened ({Kernel.Errno.Name(-fd)}): mount tests skipped";
        Interop.Libc.Close(fd);
        return null;
    });

    /// <summary>Null when mounts can be tested; otherwise the reason, which names /dev/fuse.</summary>
    public static string? SkipReason => s_reason.Value;
}

/// <summary>A test that mounts a filesystem through the kernel: skipped, with the reason, only when /dev/fuse cannot be opened.</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (FuseAvailability.SkipReason is { } why) Skip = why;
    }
}

/// <summary>The theory form of <see cref="MountFactAttribute"/>.</summary>
public sealed class MountTheoryAttribute : TheoryAttribute
{
    public MountTheoryAttribute()
    {
        if (FuseAvailability.SkipReason is { } why) Skip = why;
    }
}
