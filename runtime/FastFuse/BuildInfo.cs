using FastFuse.Kernel;

namespace FastFuse;

/// <summary>
/// What this build is. <see cref="Version"/> is generated from the one &lt;Version&gt; in Directory.Build.props
/// (see FastFuse.csproj), so the CLI, libfastfuse and the NuGet package cannot disagree.
/// </summary>
public static partial class BuildInfo
{
    /// <summary>
    /// The FUSE protocol version the runtime speaks: <see cref="FuseConstants.KernelVersion"/>.<see
    /// cref="FuseConstants.KernelMinorVersion"/> (a test holds them together), as a constant for version lines.
    /// </summary>
    public const string Protocol = "7.45";
}
