using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Native;

/// <summary>
/// The hello filesystem written in other languages against libfastfuse's C ABI (native/examples): Rust with std only
/// (the ABI declared by hand) and Go through cgo (Go from Debian). Each is built with its own toolchain, mounted
/// through the kernel, read with ordinary calls, and unmounted by SIGINT.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed class HostTests
{
    private const int SIGINT = 2;
    private static string Examples => Path.Combine(NativeBuild.Repo, "native", "examples");

    private static (int Code, string Output) Run(string file, IEnumerable<string> args, string? cwd = null, IDictionary<string, string>? env = null) =>
        NativeBuild.Exec(file, args, TimeSpan.FromMinutes(10), cwd, env);


    /// <summary>A rustc that runs without rustup's proxy (no HOME or RUSTUP_HOME needed): a toolchain's own, else
    /// Debian's (installed when missing).</summary>
    private static string Rustc()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var root in new[] { Environment.GetEnvironmentVariable("RUSTUP_HOME"), Path.Combine(home, ".rustup") })
        {
            if (string.IsNullOrEmpty(root) || !Directory.Exists(Path.Combine(root, "toolchains"))) continue;
            var found = Directory.GetDirectories(Path.Combine(root, "toolchains")).OrderBy(d => d.Contains("stable") ? 0 : 1)
                .Select(d => Path.Combine(d, "bin", "rustc")).FirstOrDefault(File.Exists);
            if (found is not null) return found;
        }
        if (!File.Exists("/usr/bin/rustc")) Deps("rustc");
        return "/usr/bin/rustc";
    }

    private static void Deps(string package)
    {
        var (code, output) = Run("/bin/bash", [Path.Combine(NativeBuild.Repo, "scripts", "deps.sh"), package]);
        Assert.True(code == 0, $"scripts/deps.sh {package}:\n{output}");
    }

    private static string Out(string name)
    {
        string dir = Path.Combine(NativeBuild.OutDir, "tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    private static string BuildRust()
    {
        string lib = NativeBuild.Library, exe = Out("hello-rs");
        var (code, output) = Run(Rustc(), ["--edition", "2021", "-O", Path.Combine(Examples, "hello.rs"), "-L", Path.GetDirectoryName(lib)!,
            "-l", "fastfuse", "-C", $"link-arg=-Wl,-rpath,{Path.GetDirectoryName(lib)}", "-o", exe]);
        Assert.True(code == 0, $"rustc:\n{output}");
        return exe;
    }

    private static string BuildGo()
    {
        if (!File.Exists("/usr/bin/go")) Deps("golang-go");
        string lib = NativeBuild.Library, exe = Out("hello-go");
        string work = Directory.CreateTempSubdirectory("fastfuse-go-").FullName;
        try
        {
            // Everything Go writes goes to a directory of the test's own: the build does not depend on HOME.
            var env = new Dictionary<string, string>
            {
                ["GOPATH"] = Path.Combine(work, "gopath"), ["GOCACHE"] = Path.Combine(work, "cache"), ["GOFLAGS"] = "-mod=mod",
                ["GO111MODULE"] = "on", ["CGO_ENABLED"] = "1", ["GOPROXY"] = "off",
                ["CGO_CFLAGS"] = $"-I{Path.Combine(NativeBuild.Repo, "native", "include")}",
                ["CGO_LDFLAGS"] = $"-L{Path.GetDirectoryName(lib)} -lfastfuse -Wl,-rpath,{Path.GetDirectoryName(lib)}",
            };
            var (code, output) = Run("/usr/bin/go", ["build", "-o", exe, "."], Path.Combine(Examples, "go"), env);
            Assert.True(code == 0, $"go build:\n{output}");
        }
        finally { Directory.Delete(work, true); }
        return exe;
    }

    [MountTheory]
    [InlineData("rust", "Hello from Rust\n")]
    [InlineData("go", "Hello from Go\n")]
    public void HelloHost_Mounts_ServesItsFile_AndUnmountsOnSigint(string language, string content)
    {
        string exe = language == "rust" ? BuildRust() : BuildGo();
        using var mnt = new TempDir();
        using var p = ChildProcess.Start(exe, mnt.Path);
        Assert.True(p.WaitForStdout(l => l.Contains("serving"), TimeSpan.FromSeconds(20)), $"{language} host did not start\n" + p.AllOutput);

        Assert.Equal(content, File.ReadAllText(Path.Combine(mnt.Path, "hello")));
        Assert.Equal(new[] { "hello" }, Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(mnt.Path, "hello")));
        Assert.Equal(content.Length, new FileInfo(Path.Combine(mnt.Path, "hello")).Length);
        Assert.False(File.Exists(Path.Combine(mnt.Path, "missing")));
        Assert.Throws<UnauthorizedAccessException>(() => File.OpenWrite(Path.Combine(mnt.Path, "hello")).Dispose());   // EACCES

        p.Signal(SIGINT);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), $"{language} host did not exit on SIGINT\n" + p.AllOutput);
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{p.AllOutput}");
        Assert.False(MountTable.IsMounted(mnt.Path), "still mounted after exit");
    }
}
