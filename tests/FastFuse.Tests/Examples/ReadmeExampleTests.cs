using System.Diagnostics;
using FastFuse.Tests.Cli;
using FastFuse.Tests.Infrastructure;

namespace FastFuse.Tests.Examples;

/// <summary>
/// The README's C# example as a reader uses it: the code block, verbatim, as Program.cs of a new console project
/// (the project file <c>dotnet new console</c> writes, plus a reference to FastFuse), built with the SDK and run.
/// </summary>
public sealed class ReadmeExampleTests
{
    private static readonly Lazy<(string Exe, CommandResult Build)> s_built = new(Build);

    /// <summary>The first ```csharp block of README.md, exactly as it stands between the fences.</summary>
    internal static string ExampleText()
    {
        string readme = File.ReadAllText(Path.Combine(Command.Repo, "README.md"));
        const string open = "```csharp\n";
        int start = readme.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no ```csharp block");
        start += open.Length;
        int end = readme.IndexOf("\n```", start - 1, StringComparison.Ordinal);
        Assert.True(end > start, "the README's ```csharp block is not closed");
        return readme[start..(end + 1)];
    }

    private static (string, CommandResult) Build()
    {
        string dir = Directory.CreateTempSubdirectory("fastfuse-readme-example-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        var (r, exe) = ConsoleProject.Build(dir, "OneFileExample", ExampleText());
        return (exe, r);
    }

    [Fact]
    public void PastedIntoANewConsoleProject_ItBuildsWithoutWarnings()
    {
        var (exe, build) = s_built.Value;
        Assert.True(build.ExitCode == 0, "the README example does not build:\n" + build.All);
        Assert.DoesNotContain(build.Stdout.Concat(build.Stderr), l => l.Contains("warning CS"));
        Assert.True(File.Exists(exe), $"no {exe} after the build");
    }

    [MountFact]
    public void BuiltAndRun_ItServesItsFile_AndCtrlCUnmounts()
    {
        var (exe, build) = s_built.Value;
        Assert.True(build.ExitCode == 0, "the README example does not build:\n" + build.All);
        using var mnt = new TempMountpoint();
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(mnt.Path);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, TimeSpan.FromSeconds(30)) && !p.HasExited,
                "the example did not mount: " + (p.HasExited ? stderr.Result : "(still starting)"));
            Assert.Equal(new[] { "greeting" }, Mounts.Io(() => Directory.GetFileSystemEntries(mnt.Path).Select(Path.GetFileName).ToArray(), "readdir"));
            Assert.Equal("hi there\n", Mounts.Io(() => File.ReadAllText(mnt["greeting"]), "read"));
            Assert.ThrowsAny<Exception>(() => Mounts.Io(() => File.OpenWrite(mnt["greeting"]).Dispose(), "open for writing"));

            Assert.True(FastFuseProcess.Kill(p.Id, FastFuseProcess.SIGINT));
            Assert.True(p.WaitForExit(20_000), "the example did not exit within 20 s of SIGINT");
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr.Result}");
            Assert.False(Mounts.IsMounted(mnt.Path), "still mounted after SIGINT");
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }
}
