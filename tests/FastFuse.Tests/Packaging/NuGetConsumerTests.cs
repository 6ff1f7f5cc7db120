using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FastFuse.Tests.Cli;
using FastFuse.Tests.Infrastructure;
using FastFuse.Tests.Native;

namespace FastFuse.Tests.Packaging;

/// <summary>
/// The NuGet package as a new user meets it: `dotnet pack` of the library, then a console project made from
/// scratch (`dotnet new console`) that adds the package from a local folder, compiles the package README's own
/// sample (a filesystem on the node API) as its Program.cs, publishes it with NativeAOT (no AOT or trim warning allowed), mounts it and reads its
/// file through the kernel.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed partial class NuGetConsumerTests
{
    private const int SIGTERM = 15;
    private static string Readme => Path.Combine(Command.Repo, "runtime", "FastFuse", "README.md");

    private static readonly Lazy<string> s_package = new(() =>
    {
        string feed = Path.Combine(Command.Repo, "out", "nuget-feed");
        if (Directory.Exists(feed)) Directory.Delete(feed, true);
        var r = Command.Run("dotnet", ["pack", Path.Combine(Command.Repo, "runtime", "FastFuse"), "-c", "Release", "-o", feed,
            "--nologo", "-nodeReuse:false", "-v", "quiet"], TimeSpan.FromMinutes(5));
        if (r.ExitCode != 0) throw new InvalidOperationException("dotnet pack failed:\n" + r.All);
        return Assert.Single(Directory.GetFiles(feed, "*.nupkg"));
    });

    [Fact]
    public void ThePackage_HasItsMetadata_DocsAndSources()
    {
        using var zip = ZipFile.OpenRead(s_package.Value);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/FastFuse.dll", names);
        Assert.Contains("lib/net10.0/FastFuse.pdb", names);    // with the sources embedded (EmbedAllSources)
        Assert.Contains("README.md", names);
        // XML docs for every public member (the build fails without them: GenerateDocumentationFile + warnings as errors).
        Assert.Contains("lib/net10.0/FastFuse.xml", names);
        var docs = XDocument.Load(zip.GetEntry("lib/net10.0/FastFuse.xml")!.Open());
        Assert.Contains(docs.Descendants("member"), m => m.Attribute("name")?.Value == "T:FastFuse.Api.IRawFileSystem");
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
        string Meta(string name) => nuspec.Descendants().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("FastFuse", Meta("id"));
        Assert.Equal("MIT", Meta("license"));
        Assert.Equal("README.md", Meta("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")));
        var repo = nuspec.Descendants().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repo.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repo.Attribute("commit")?.Value ?? "");
        // The PDB carries the sources: a debugger needs no source server.
        using var pdb = zip.GetEntry("lib/net10.0/FastFuse.pdb")!.Open();
        using var ms = new MemoryStream();
        pdb.CopyTo(ms);
        Assert.Contains("interface IRawFileSystem", EmbeddedSourceText(ms.ToArray()));
    }

    /// <summary>The embedded documents of a portable PDB, decompressed, as one string.</summary>
    private static string EmbeddedSourceText(byte[] pdb)
    {
        using var provider = System.Reflection.Metadata.MetadataReaderProvider.FromPortablePdbImage(System.Collections.Immutable.ImmutableArray.Create(pdb));
        var reader = provider.GetMetadataReader();
        var sb = new System.Text.StringBuilder();
        var embedded = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
        foreach (var h in reader.CustomDebugInformation)
        {
            var cdi = reader.GetCustomDebugInformation(h);
            if (reader.GetGuid(cdi.Kind) != embedded) continue;
            var blob = reader.GetBlobBytes(cdi.Value);
            int size = BitConverter.ToInt32(blob, 0);
            if (size == 0) sb.Append(System.Text.Encoding.UTF8.GetString(blob, 4, blob.Length - 4));
            else
            {
                using var z = new DeflateStream(new MemoryStream(blob, 4, blob.Length - 4), CompressionMode.Decompress);
                using var r = new StreamReader(z);
                sb.Append(r.ReadToEnd());
            }
        }
        return sb.ToString();
    }

    [MountFact]
    public void ANewProject_UsesThePackage_PublishesWithNativeAot_AndMounts()
    {
        string nupkg = s_package.Value, feed = Path.GetDirectoryName(nupkg)!;
        string version = Regex.Match(Path.GetFileName(nupkg), @"^FastFuse\.(.+)\.nupkg$").Groups[1].Value;
        string dir = Directory.CreateTempSubdirectory("fastfuse-consumer-").FullName;
        try
        {
            Run(dir, "new", "console", "-n", "Consumer", "-o", dir, "--no-restore");
            // The local folder first; nuget.org for the NativeAOT compiler packages.
            File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
            // A FastFuse package of this version cached by an earlier run would be used instead of the new one.
            string cached = Path.Combine(NuGetPackagesFolder(), "fastfuse", version);
            if (Directory.Exists(cached)) Directory.Delete(cached, true);
            Run(dir, "add", "Consumer.csproj", "package", "FastFuse", "--version", version);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), ReadmeSample());
            string output = Run(dir, "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", Path.Combine(dir, "out"));
            var analyzerWarnings = output.Split('\n').Where(l => Regex.IsMatch(l, @"warning (IL\d{4}|CS\d{4})")).Distinct().ToArray();
            Assert.True(analyzerWarnings.Length == 0, "the consumer's publish warned:\n" + string.Join('\n', analyzerWarnings));
            string exe = Path.Combine(dir, "out", "Consumer");
            Assert.True(File.Exists(exe), output);

            using var mnt = new TempDir();
            using var p = ChildProcess.Start(exe, mnt.Path);
            Assert.True(MountTestUtil.Eventually(() => File.Exists(Path.Combine(mnt.Path, "hello"))),
                "the consumer did not mount\n" + p.AllOutput);
            Assert.Equal("hello\n", File.ReadAllText(Path.Combine(mnt.Path, "hello")));
            Assert.Equal(0, Libc.umount2(mnt.Path, 0));
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "the consumer did not exit after umount\n" + p.AllOutput);
            Assert.True(p.ExitCode == 0, p.AllOutput);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The C# block of the package README, as it is.</summary>
    private static string ReadmeSample()
    {
        var m = Regex.Match(File.ReadAllText(Readme), @"```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(m.Success, "no C# sample in runtime/FastFuse/README.md");
        return m.Groups[1].Value;
    }

    private static string NuGetPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string Run(string dir, params string[] args)
    {
        var r = Command.Run("dotnet", args, TimeSpan.FromMinutes(10), cwd: dir);
        Assert.True(r.ExitCode == 0, $"dotnet {string.Join(' ', args)}:\n{r.All}");
        return r.All;
    }
}
