using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Scripts;

/// <summary>
/// The scripts print progress on stderr and results on stdout: <c>bin=$(scripts/publish.sh)</c> in ./run and
/// ./test must get the binary's path and nothing else, also on a fresh machine where deps.sh installs packages.
/// </summary>
public sealed class ScriptOutputTests
{
    [Fact]
    public void Deps_WhenItInstalls_PrintsProgressOnStderr_AndNothingOnStdout()
    {
        // A package that does not exist sends deps.sh down its install branch, as on a fresh machine, without
        // installing anything: apt-get fails on the name, after deps.sh has said what it installs.
        const string pkg = "fastfuse-test-no-such-package";
        var r = Command.Run("/bin/bash", new[] { Path.Combine(Command.Repo, "scripts/deps.sh"), pkg }, TimeSpan.FromMinutes(5));
        Assert.True(r.ExitCode != 0, r.All);
        Assert.True(r.Stdout.Count == 0, "deps.sh wrote on stdout:\n" + r.All);
        Assert.Contains(r.Stderr, l => l.StartsWith("[deps] installing: ") && l.Contains(pkg));
    }

    [Fact]
    public void Install_PutsTheBinaryAndTheMountHelperLink_AndPrintsTheirPaths()
    {
        string dest = Directory.CreateTempSubdirectory("fastfuse-install-").FullName;
        try
        {
            var r = Command.Run("/bin/bash", new[] { Path.Combine(Command.Repo, "scripts/install.sh"), "/opt/ff" }, TimeSpan.FromMinutes(5),
                env: new Dictionary<string, string?> { ["DESTDIR"] = dest, ["FASTFUSE_BIN"] = Cli.FastFuseBinary.Executable });
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Equal(new[] { $"{dest}/opt/ff/bin/fastfuse", $"{dest}/sbin/mount.fuse.fastfuse" }, r.Stdout);
            Assert.Equal("/opt/ff/bin/fastfuse", new FileInfo($"{dest}/sbin/mount.fuse.fastfuse").LinkTarget);
            var v = Command.Run($"{dest}/opt/ff/bin/fastfuse", new[] { "--version" }, TimeSpan.FromSeconds(30));
            Assert.StartsWith("fastfuse ", Assert.Single(v.Stdout));
        }
        finally
        {
            Directory.Delete(dest, true);
        }
    }

    [Fact]
    public void Deps_WithNothingToInstall_IsSilent()
    {
        var r = Command.Run("/bin/bash", new[] { Path.Combine(Command.Repo, "scripts/deps.sh") }, TimeSpan.FromMinutes(5));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Empty(r.Stdout);
        Assert.Empty(r.Stderr);
    }
}
