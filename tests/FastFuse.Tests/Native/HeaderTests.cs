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

    /// <summary>Every callback of struct fastfuse_ops, every function and every struct comes with its comment: for a
    /// callback, one between the previous member and it; for a function, one since the previous declaration (functions
    /// on consecutive lines share one); for a struct, one right before it.</summary>
    [Fact]
    public void EveryCallbackFunctionAndStructIsDocumented()
    {
        string text = File.ReadAllText(Header);
        var undocumented = new List<string>();
        int opsStart = text.IndexOf("struct fastfuse_ops {", StringComparison.Ordinal), opsEnd = text.IndexOf("\n};", opsStart, StringComparison.Ordinal);
        Assert.True(opsStart > 0 && opsEnd > opsStart, "no struct fastfuse_ops in the header");
        int members = 0, previous = opsStart;
        foreach (Match m in Callback().Matches(text[opsStart..opsEnd]))
        {
            members++;
            int at = opsStart + m.Index;
            if (!text[previous..at].Contains("*/", StringComparison.Ordinal)) undocumented.Add($"callback {m.Groups[1].Value}");
            previous = text.IndexOf(';', at);
        }
        Assert.True(members >= 40, $"found only {members} callbacks");

        // Top-level declarations: blank the comments (keeping offsets) to find them, look for comments in the original.
        string code = Comments().Replace(text, c => new string(' ', c.Length));
        int last = 0, functions = 0;
        string previousName = "";
        foreach (Match m in TopLevelPrototype().Matches(code))
        {
            if (m.Index > opsStart && m.Index < opsEnd) continue;
            functions++;
            string between = text[last..m.Index];
            // One comment may serve a typedef and the function using it, or a function and its _plus variant.
            bool grouped = last > 0 && string.IsNullOrWhiteSpace(between) && (previousName.StartsWith("typedef", StringComparison.Ordinal) ||
                m.Groups[1].Value.StartsWith(previousName, StringComparison.Ordinal));
            if (!between.Contains("*/", StringComparison.Ordinal) && !grouped) undocumented.Add($"function {m.Groups[1].Value}");
            last = code.IndexOf(';', m.Index) + 1;
            previousName = m.Value.StartsWith("typedef", StringComparison.Ordinal) ? "typedef" : m.Groups[1].Value;
        }
        Assert.True(functions >= 40, $"found only {functions} functions");
        foreach (Match m in StructDefinition().Matches(code))
        {
            int since = Math.Max(code.LastIndexOf(';', m.Index), code.LastIndexOf('}', m.Index)) + 1;
            if (!text[since..m.Index].Contains("*/", StringComparison.Ordinal)) undocumented.Add($"struct {m.Groups[1].Value}");
        }
        Assert.True(undocumented.Count == 0, "without a comment: " + string.Join(", ", undocumented));
    }

    [GeneratedRegex(@"\(\*([a-z_]+)\)\(")]
    private static partial Regex Callback();
    [GeneratedRegex(@"(?m)^(?:const )?(?:int|void|size_t|char|fastfuse_session|struct \w+|typedef \w+)\s*\*?\s*\(?\*?(fastfuse_[a-z0-9_]+)\)?\s*\(")]
    private static partial Regex TopLevelPrototype();
    [GeneratedRegex(@"(?m)^struct (fastfuse_[a-z_]+) \{")]
    private static partial Regex StructDefinition();

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
