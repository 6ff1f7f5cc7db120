using System.Text.RegularExpressions;

namespace FastFuse.Tests.Native;

/// <summary>
/// native/include/fastfuse.h as a user's compiler sees it: it must compile with every warning as an error, pedantic,
/// as C11 and as C++11, and it must declare exactly what libfastfuse.so exports (a function declared but not exported
/// fails to link; one exported but not declared is a part of the ABI nobody documented).
/// </summary>
[Collection(NativeBuildCollection.Name)]
public sealed partial class HeaderTests
{
    private static string Header => Path.Combine(NativeBuild.Repo, "native", "include", "fastfuse.h");

    private static (int Code, string Output) Run(string file, params string[] args) => NativeBuild.Exec(file, args, TimeSpan.FromMinutes(2));


    /// <summary>A translation unit that includes the header and takes the address of every declared function, so
    /// a declaration that does not parse, or a name that clashes, fails here.</summary>
    private static string Unit(string ext)
    {
        string dir = Directory.CreateTempSubdirectory("fastfuse-header-").FullName;
        string path = Path.Combine(dir, "use" + ext);
        var uses = string.Join("\n", Declared().Select(f => $"    (void)&{f};"));
        File.WriteAllText(path, $"#include \"fastfuse.h\"\nint main(void)\n{{\n{uses}\n    return 0;\n}}\n");
        return path;
    }

    [Theory]
    [InlineData("/usr/bin/gcc", "-std=c11", ".c")]
    [InlineData("/usr/bin/clang", "-std=c11", ".c")]
    [InlineData("/usr/bin/clang++", "-std=c++11", ".cpp")]
    public void CompilesWithEveryWarningAsAnError(string compiler, string standard, string ext)
    {
        string unit = Unit(ext);
        try
        {
            var (code, output) = Run(compiler, standard, "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only",
                "-I", Path.GetDirectoryName(Header)!, unit);
            Assert.True(code == 0, $"{compiler} {standard}:\n{output}");
        }
        finally { Directory.Delete(Path.GetDirectoryName(unit)!, true); }
    }

    /// <summary>The functions the header declares: fastfuse_NAME( outside comments, callbacks ((*name)) excluded.</summary>
    private static SortedSet<string> Declared()
    {
        string text = Comments().Replace(File.ReadAllText(Header), " ");
        return new SortedSet<string>(Prototype().Matches(text).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"(?<!\w)(?<!\(\*)(fastfuse_[a-z0-9_]+)\s*\(")]
    private static partial Regex Prototype();

    [Fact]
    public void DeclaresExactlyWhatTheLibraryExports()
    {
        var (code, output) = Run("/usr/bin/nm", "-D", "--defined-only", NativeBuild.Library);
        Assert.True(code == 0, output);
        var exported = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && f[1] == "T" && f[2].StartsWith("fastfuse_", StringComparison.Ordinal))
                exported.Add(f[2].Split('@')[0]);   // fastfuse_mount@@V1.0: the symbol version is not the name
        }
        var declared = Declared();
        Assert.True(declared.Count >= 10, $"the header parse found only {declared.Count} functions: {string.Join(", ", declared)}");
        Assert.Equal(declared, exported);
    }
}
