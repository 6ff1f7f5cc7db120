using System.Diagnostics;
using System.Text.RegularExpressions;
using FastFuse.Mounting;
using FastFuse.Tests.Cli;
using FastFuse.Tests.Infrastructure;
using FastFuse.Tests.Native;

namespace FastFuse.Tests.Docs;

/// <summary>
/// docs/ as a reader uses it: every code sample is compiled and run. A ```csharp or ```c block is a whole program that
/// mounts on its first argument; the <c>&lt;!-- sample: reads FILE "TEXT" --&gt;</c> line above it says what the test
/// reads back through the kernel before it sends SIGINT (the program must then unmount and exit 0). A ```sh block
/// runs with bash -e, with $MNT an empty directory and the fastfuse binary first on PATH, and must leave nothing
/// mounted. Blocks without a language are listings, not samples. The option reference must name every option the
/// parser accepts and every flag of <c>fastfuse --help</c>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed partial class DocsTests
{
    private static string DocsDir => Path.Combine(Command.Repo, "docs");

    public sealed record Sample(string File, int Line, string Language, string Code, string? ReadsFile, string? ReadsText)
    {
        public override string ToString() => $"{File}:{Line} ({Language})";
    }

    private static IEnumerable<Sample> Samples()
    {
        foreach (var path in Directory.GetFiles(DocsDir, "*.md").Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            foreach (Match m in Fence().Matches(text))
            {
                int line = text[..m.Index].Count(c => c == '\n') + 1;
                var marker = Marker().Match(text[..m.Index].TrimEnd().Split('\n')[^1]);
                yield return new Sample(Path.GetFileName(path), line, m.Groups[1].Value, m.Groups[2].Value,
                    marker.Success ? marker.Groups[1].Value : null, marker.Success ? Regex.Unescape(marker.Groups[2].Value) : null);
            }
        }
    }

    public static TheoryData<string> SampleIds(string language)
    {
        var data = new TheoryData<string>();
        foreach (var s in Samples().Where(s => s.Language == language)) data.Add(s.ToString());
        return data;
    }

    public static TheoryData<string> CSharpSamples() => SampleIds("csharp");
    public static TheoryData<string> CSamples() => SampleIds("c");
    public static TheoryData<string> ShellSamples() => SampleIds("sh");

    private static Sample Get(string id) => Samples().Single(s => s.ToString() == id);

    [GeneratedRegex(@"(?m)^```(csharp|c|sh)\n(.*?)^```$", RegexOptions.Singleline)]
    private static partial Regex Fence();
    [GeneratedRegex(@"^<!-- sample: reads (\S+) ""(.*)"" -->$")]
    private static partial Regex Marker();

    [Fact]
    public void TheDocsHaveSamplesInEveryLanguage()
    {
        var all = Samples().ToList();
        Assert.Contains(all, s => s.Language == "csharp");
        Assert.Contains(all, s => s.Language == "c");
        Assert.Contains(all, s => s.Language == "sh");
        var unchecked_ = all.Where(s => s.Language != "sh" && s.ReadsFile is null).ToList();
        Assert.True(unchecked_.Count == 0, "program samples without a `<!-- sample: reads FILE \"TEXT\" -->` line: " + string.Join(", ", unchecked_));
    }

    [MountTheory]
    [MemberData(nameof(CSharpSamples))]
    public void CSharpSample_BuildsAndServes(string id)
    {
        var s = Get(id);
        string dir = Directory.CreateTempSubdirectory("fastfuse-doc-cs-").FullName;
        try
        {
            var (r, exe) = ConsoleProject.Build(dir, "Sample", s.Code, warningsAsErrors: true);
            Assert.True(r.ExitCode == 0, $"{s} does not build:\n{r.All}");
            Serve(s, exe);
        }
        finally { Directory.Delete(dir, true); }
    }

    [MountTheory]
    [MemberData(nameof(CSamples))]
    public void CSample_CompilesAndServes(string id)
    {
        var s = Get(id);
        string src = Path.Combine(Path.GetTempPath(), $"fastfuse-doc-{Environment.ProcessId}-{s.Line}.c");
        File.WriteAllText(src, s.Code);
        try { Serve(s, NativeBuild.CompileC(src, $"doc-sample-{s.Line}")); }
        finally { File.Delete(src); }
    }

    /// <summary>Run the sample on a fresh mountpoint, read what its marker says, then SIGINT: it must unmount and exit 0.</summary>
    private static void Serve(Sample s, string exe)
    {
        using var mnt = new TempMountpoint();
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(mnt.Path);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            Assert.True(Mounts.WaitUntil(() => Mounts.IsMounted(mnt.Path) || p.HasExited, TimeSpan.FromSeconds(30)) && !p.HasExited,
                $"{s} did not mount: " + (p.HasExited ? stderr.Result : "(still starting)"));
            Assert.Equal(s.ReadsText, File.ReadAllText(Path.Combine(mnt.Path, s.ReadsFile!)));
            Assert.True(FastFuseProcess.Kill(p.Id, FastFuseProcess.SIGINT));
            Assert.True(p.WaitForExit(20_000), $"{s} did not exit within 20 s of SIGINT");
            Assert.True(p.ExitCode == 0, $"{s}: exit {p.ExitCode}: {stderr.Result}");
            Assert.False(Mounts.IsMounted(mnt.Path), $"{s}: still mounted after SIGINT");
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [MountTheory]
    [MemberData(nameof(ShellSamples))]
    public void ShellSample_Runs(string id)
    {
        var s = Get(id);
        using var mnt = new TempMountpoint();
        string bin = Path.GetDirectoryName(Path.GetFullPath(FastFuseBinary.Executable))!;
        string script = Path.Combine(mnt.Root, "sample.sh");
        // The binary under the name the docs use, first on PATH.
        string pathDir = Path.Combine(mnt.Root, "bin");
        Directory.CreateDirectory(pathDir);
        File.CreateSymbolicLink(Path.Combine(pathDir, "fastfuse"), FastFuseBinary.Executable);
        File.WriteAllText(script, s.Code);
        try
        {
            var r = Command.Run("/bin/bash", ["-euo", "pipefail", script], TimeSpan.FromMinutes(2), new Dictionary<string, string?>
            {
                ["MNT"] = mnt.Path,
                ["PATH"] = $"{pathDir}:{bin}:/usr/sbin:/usr/bin:/sbin:/bin",
            }, cwd: mnt.Root);
            Assert.True(r.ExitCode == 0, $"{s}:\n{s.Code}\n{r.All}");
            Assert.False(Mounts.IsMounted(mnt.Path), $"{s} left {mnt.Path} mounted");
        }
        finally
        {
            while (Mounts.IsMounted(mnt.Path)) Native.Libc.umount2(mnt.Path, 2);
        }
    }

    [Fact]
    public void TheOptionReference_NamesEveryOptionAndFlag()
    {
        string text = File.ReadAllText(Path.Combine(DocsDir, "options.md"));
        var missing = MountOptions.Accepted.Where(o => !text.Contains($"`{o}", StringComparison.Ordinal)).ToList();
        using var help = FastFuseProcess.Run(TimeSpan.FromSeconds(30), "--help");
        var flags = help.Stdout.Concat(help.Stderr).SelectMany(l => Flag().Matches(l).Select(m => m.Value)).Distinct().ToList();
        Assert.True(flags.Count >= 8, "fastfuse --help named only " + string.Join(' ', flags));
        missing.AddRange(flags.Where(f => !text.Contains($"`{f}", StringComparison.Ordinal)));
        Assert.True(missing.Count == 0, "docs/options.md does not describe: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"(?<=^\s{2})(--?[a-zA-Z][a-z-]*)|(?<=,\s)(--?[a-zA-Z][a-z-]*)")]
    private static partial Regex Flag();
}
