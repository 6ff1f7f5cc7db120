using FastFuse.Transport.DevFuse;
using FastFuse.Transport.FuseUring;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FastFuse.Tests.Infrastructure;

/// <summary>Whether this machine can mount: /dev/fuse must open; for fuse-uring the kernel must accept it. Checked once.</summary>
public static class FuseAvailability
{
    /// <summary>Every skip reason of a fuse-uring test starts with this (./test tells them from other skips).</summary>
    public const string UringPrefix = "fuse-uring unavailable: ";

    private static readonly Lazy<string?> s_reason = new(() =>
    {
        int fd = DevFuseChannel.OpenDevice();
        if (fd < 0) return $"/dev/fuse cannot be opened ({Kernel.Errno.Name(-fd)}): mount tests skipped";
        Interop.Libc.Close(fd);
        return null;
    });

    private static readonly Lazy<string?> s_uring = new(() => FuseUringTransport.Unavailable() is { } why ? UringPrefix + why : null);
    private static readonly Lazy<string?> s_ioUring = new(() => Transport.UringBatch.UringBatchTransport.Unavailable() is { } why ? "io_uring unavailable: " + why : null);

    /// <summary>Null when mounts can be tested; otherwise the reason, which names /dev/fuse.</summary>
    public static string? SkipReason => s_reason.Value;

    /// <summary>Null when fuse-uring mounts can be tested; otherwise why the kernel refuses them.</summary>
    public static string? UringSkipReason => SkipReason ?? s_uring.Value;

    /// <summary>The skip reason for a test method of <paramref name="testClass"/>: fuse-uring classes (named
    /// …FuseUring) also need the kernel's fuse-uring, and the uring classes (…_Uring) io_uring.</summary>
    internal static string? SkipReasonFor(string testClass) =>
        testClass.Contains("FuseUring", StringComparison.Ordinal) ? UringSkipReason
        : testClass.EndsWith("_Uring", StringComparison.Ordinal) ? SkipReason ?? s_ioUring.Value
        : SkipReason;
}

/// <summary>A test that mounts a filesystem through the kernel: skipped, with the reason, only when /dev/fuse cannot be
/// opened, or, in a fuse-uring class, when the kernel refuses fuse-uring.</summary>
[XunitTestCaseDiscoverer("FastFuse.Tests.Infrastructure.MountFactDiscoverer", "FastFuse.Tests")]
public sealed class MountFactAttribute : FactAttribute;

/// <summary>The theory form of <see cref="MountFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("FastFuse.Tests.Infrastructure.MountTheoryDiscoverer", "FastFuse.Tests")]
public sealed class MountTheoryAttribute : TheoryAttribute;

/// <summary>A test case whose skip reason is decided by the concrete class it runs in.</summary>
public sealed class MountTestCase : XunitTestCase
{
    [Obsolete("for deserialization only")]
    public MountTestCase() { }

    public MountTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method, object[]? row = null)
        : base(sink, display, options, method, row) { }

    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute) ?? FuseAvailability.SkipReasonFor(TestMethod.TestClass.Class.Name);
}

public sealed class MountFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions o, ITestMethod m, IAttributeInfo a) =>
        new MountTestCase(DiagnosticMessageSink, o.MethodDisplayOrDefault(), o.MethodDisplayOptionsOrDefault(), m);
}

public sealed class MountTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions o, ITestMethod m, IAttributeInfo a, object[] row) =>
        [new MountTestCase(DiagnosticMessageSink, o.MethodDisplayOrDefault(), o.MethodDisplayOptionsOrDefault(), m, row)];

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForTheory(ITestFrameworkDiscoveryOptions o, ITestMethod m, IAttributeInfo a)
    {
        string? why = FuseAvailability.SkipReasonFor(m.TestClass.Class.Name);
        return why is null
            ? base.CreateTestCasesForTheory(o, m, a)
            : [new MountTestCase(DiagnosticMessageSink, o.MethodDisplayOrDefault(), o.MethodDisplayOptionsOrDefault(), m)];
    }
}
