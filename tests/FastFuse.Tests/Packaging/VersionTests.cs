using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FastFuse.Kernel;
using FastFuse.Tests.Cli;
using FastFuse.Tests.Infrastructure;
using FastFuse.Tests.Native;

namespace FastFuse.Tests.Packaging;

/// <summary>
/// One version, defined once (the &lt;Version&gt; of Directory.Build.props), and everything that shows a version
/// shows that one: the CLI, libfastfuse, the NuGet package, the docs.
/// </summary>
public sealed class VersionTests
{
    private static string PropsVersion()
    {
        var doc = XDocument.Load(Path.Combine(Command.Repo, "Directory.Build.props"));
        var v = Assert.Single(doc.Descendants("Version")).Value.Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+", v);
        return v;
    }

    [Fact]
    public void TheVersionIsDefinedOnce_InDirectoryBuildProps()
    {
        string v = PropsVersion();
        var others = new List<string>();
        foreach (var f in Directory.EnumerateFiles(Command.Repo, "*.*proj", SearchOption.AllDirectories)
                     .Concat(Directory.EnumerateFiles(Command.Repo, "*.props", SearchOption.AllDirectories)))
        {
            if (f.Contains("/obj/") || f.Contains("/bin/") || f.EndsWith("/Directory.Build.props")) continue;
            var doc = XDocument.Load(f);
            foreach (var name in new[] { "Version", "VersionPrefix", "PackageVersion", "AssemblyVersion", "FileVersion", "InformationalVersion" })
                if (doc.Descendants(name).Any()) others.Add($"{Path.GetRelativePath(Command.Repo, f)}: <{name}>");
        }
        Assert.True(others.Count == 0, "versions defined outside Directory.Build.props:\n" + string.Join('\n', others));
        Assert.Equal(BuildInfo.Version, v);
        Assert.Equal(BuildInfo.Protocol, $"{FuseConstants.KernelVersion}.{FuseConstants.KernelMinorVersion}");
    }

    [Fact]
    public void TheCli_PrintsIt()
    {
        using var p = FastFuseProcess.Run(TimeSpan.FromSeconds(30), "--version");
        Assert.Equal($"fastfuse {PropsVersion()} (FUSE protocol {BuildInfo.Protocol})", Assert.Single(p.Stdout));
    }

    [Fact]
    public void Libfastfuse_ReturnsIt() =>
        Assert.Equal($"fastfuse {PropsVersion()} (FUSE {BuildInfo.Protocol})", NativeBuild.Load().Version());

    [Fact]
    public void TheNuGetPackage_CarriesIt()
    {
        string outDir = Directory.CreateTempSubdirectory("fastfuse-pack-").FullName;
        try
        {
            // The library this test run was built against (Release), packed as `dotnet pack` packs it.
            var r = Command.Run("dotnet", new[] { "pack", Path.Combine(Command.Repo, "runtime/FastFuse"), "-c", "Release", "--no-build",
                "-o", outDir, "--nologo", "-nodeReuse:false", "-v", "quiet" }, TimeSpan.FromMinutes(5));
            Assert.True(r.ExitCode == 0, r.All);
            string v = PropsVersion();
            string nupkg = Assert.Single(Directory.GetFiles(outDir, "*.nupkg"));
            Assert.Equal($"FastFuse.{v}.nupkg", Path.GetFileName(nupkg));
            using var zip = ZipFile.OpenRead(nupkg);
            var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec"));
            using var s = nuspec.Open();
            var doc = XDocument.Load(s);
            Assert.Equal(v, doc.Descendants().Single(e => e.Name.LocalName == "version").Value);
        }
        finally
        {
            Directory.Delete(outDir, true);
        }
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("native/README.md")]
    [InlineData("native/include/fastfuse.h")]
    public void TheDocs_NameNoOtherVersion(string file)
    {
        string v = PropsVersion();
        string text = File.ReadAllText(Path.Combine(Command.Repo, file));
        var named = Regex.Matches(text, @"fastfuse (\d+\.\d+\.\d+)").Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.All(named, n => Assert.Equal(v, n));
    }
}
