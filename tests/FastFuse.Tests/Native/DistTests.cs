using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Native;

/// <summary>
/// The release folder scripts/dist.sh makes (built once per test run): its layout, the shared library's soname and
/// links, one version everywhere, and the C hello example built from it three ways, as a user would, each mounted
/// through the kernel and read: with pkg-config against the shared library, against the static archive in a program
/// with a shared libc, and fully static (cc -static).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed class DistTests
{
    private const int SIGINT = 2;
    private static readonly Lazy<string> s_dist = new(Build);
    private static string Dist => s_dist.Value;
    private static string Version => File.ReadLines(Path.Combine(NativeBuild.Repo, "Directory.Build.props"))
        .Select(l => l.Trim()).First(l => l.StartsWith("<Version>", StringComparison.Ordinal))["<Version>".Length..].Split('<')[0];

    private static (int Code, string Output) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        NativeBuild.Exec(file, args, TimeSpan.FromMinutes(20), env: env);


    private static string Build()
    {
        // The CLI ./test published (so that nothing rewrites out/bin while other tests run it), else a fresh one.
        string cli = Path.Combine(NativeBuild.Repo, "out", "bin", "fastfuse");
        var env = File.Exists(cli) ? new Dictionary<string, string> { ["FASTFUSE_BIN"] = cli } : null;
        var (code, output) = Run(Path.Combine(NativeBuild.Repo, "scripts", "dist.sh"), [], env);
        if (code != 0) throw new InvalidOperationException($"scripts/dist.sh failed ({code}):\n{output}");
        return Path.Combine(NativeBuild.Repo, "dist");
    }

    private static Dictionary<string, string> PkgEnv => new() { ["PKG_CONFIG_PATH"] = Path.Combine(Dist, "lib", "pkgconfig") };

    private static string[] PkgConfig(params string[] args)
    {
        var (code, output) = Run("/usr/bin/pkg-config", args, PkgEnv);
        Assert.True(code == 0, output);
        return output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Layout_SonameAndLinks()
    {
        string lib = Path.Combine(Dist, "lib");
        Assert.True(File.Exists(Path.Combine(Dist, "bin", "fastfuse")));
        Assert.True(File.Exists(Path.Combine(Dist, "include", "fastfuse.h")));
        Assert.True(File.Exists(Path.Combine(lib, "libfastfuse.a")));
        Assert.True(File.Exists(Path.Combine(lib, $"libfastfuse.so.{Version}")));
        string major = Version.Split('.')[0];
        Assert.Equal($"libfastfuse.so.{Version}", new FileInfo(Path.Combine(lib, $"libfastfuse.so.{major}")).LinkTarget);
        Assert.Equal($"libfastfuse.so.{major}", new FileInfo(Path.Combine(lib, "libfastfuse.so")).LinkTarget);
        var (code, dyn) = Run("/usr/bin/readelf", ["-d", Path.Combine(lib, $"libfastfuse.so.{Version}")]);
        Assert.True(code == 0, dyn);
        Assert.Contains($"Library soname: [libfastfuse.so.{major}]", dyn);
        // The CLI: static-pie (no program interpreter), stripped (no symbol table).
        var (c2, headers) = Run("/usr/bin/readelf", ["-lS", Path.Combine(Dist, "bin", "fastfuse")]);
        Assert.True(c2 == 0, headers);
        Assert.Contains("DYN (Position-Independent Executable file)", headers);
        Assert.DoesNotContain("INTERP", headers);
        Assert.DoesNotContain(".symtab", headers);
    }

    [Fact]
    public void OneVersionEverywhere()
    {
        var (code, cli) = Run(Path.Combine(Dist, "bin", "fastfuse"), ["--version"]);
        Assert.True(code == 0, cli);
        Assert.StartsWith($"fastfuse {Version} ", cli);
        Assert.Equal(Version, PkgConfig("--modversion", "fastfuse").Single());
        var parts = Version.Split('.');
        string header = File.ReadAllText(Path.Combine(Dist, "include", "fastfuse.h"));
        Assert.Contains($"#define FASTFUSE_VERSION_MAJOR {parts[0]}\n", header);
        Assert.Contains($"#define FASTFUSE_VERSION_MINOR {parts[1]}\n", header);
        Assert.Contains($"#define FASTFUSE_VERSION_PATCH {parts[2]}\n", header);
    }

    /// <summary>The compiler flags for dist/'s header (pkg-config --cflags fastfuse).</summary>
    internal static string[] CFlags() => PkgConfig("--cflags", "fastfuse");

    /// <summary>The link flags for dist/lib/libfastfuse.a into a program with a shared libc: -Bstatic for libfastfuse
    /// only, then the libraries it needs (its Libs.private). Also used by <see cref="MemfsHostTests"/>.</summary>
    internal static string[] ArchiveLinkFlags() =>
        ["-Wl,-Bstatic", .. PkgConfig("--libs", "fastfuse"), "-Wl,-Bdynamic", .. PkgConfig("--libs-only-l", "--static", "fastfuse").Where(a => a != "-lfastfuse")];

    /// <summary>cc the hello example the way <paramref name="how"/> says, from dist/ only (its header, its .pc).</summary>
    private static string CompileHello(string how)
    {
        string src = Path.Combine(NativeBuild.Repo, "native", "examples", "hello.c");
        string exe = Path.Combine(Directory.CreateTempSubdirectory("fastfuse-dist-").FullName, "hello-" + how);
        var cflags = CFlags();
        string[] link = how switch
        {
            "shared" => [.. PkgConfig("--libs", "fastfuse"), $"-Wl,-rpath,{Path.Combine(Dist, "lib")}"],
            "archive" => ArchiveLinkFlags(),
            _ => ["-static", .. PkgConfig("--libs", "--static", "fastfuse")],
        };
        var (code, output) = Run("/usr/bin/cc", ["-O2", .. cflags, src, .. link, "-o", exe]);
        Assert.True(code == 0, $"cc ({how}):\n{output}");
        return exe;
    }

    [MountTheory]
    [InlineData("shared")]
    [InlineData("archive")]
    [InlineData("static")]
    public void HelloBuiltFromDist_Mounts_Serves_AndUnmounts(string how)
    {
        string exe = CompileHello(how);
        try
        {
            var (code, ldd) = Run("/usr/bin/ldd", [exe]);
            if (how == "static") Assert.Contains("not a dynamic executable", ldd);
            else Assert.Equal(how == "shared", ldd.Contains("libfastfuse.so.", StringComparison.Ordinal));
            using var mnt = new TempDir();
            using var p = ChildProcess.Start(exe, mnt.Path);
            Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), $"hello ({how}) did not start\n" + p.AllOutput);
            Assert.Contains(p.Stdout, l => l.StartsWith($"fastfuse {Version} ", StringComparison.Ordinal));   // fastfuse_version()
            Assert.Equal("Hello from C\n", File.ReadAllText(Path.Combine(mnt.Path, "hello")));
            p.Signal(SIGINT);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "hello did not exit on SIGINT\n" + p.AllOutput);
            Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
            Assert.False(MountTable.IsMounted(mnt.Path));
        }
        finally { Directory.Delete(Path.GetDirectoryName(exe)!, true); }
    }
}

/// <summary>The tests that build native/FastFuse.Native (native/build.sh, scripts/dist.sh) share its obj folder: one at
/// a time (other collections still run beside them).</summary>
[CollectionDefinition(Name)]
public sealed class NativeBuildCollection
{
    public const string Name = "native builds";
}
