namespace FastFuse.Tests.Infrastructure;

/// <summary>A console project as `dotnet new console` writes it, with a reference to the FastFuse library this test
/// run was built against, and a given Program.cs: how a reader pastes a sample from the docs.</summary>
public static class ConsoleProject
{
    /// <summary>Write <paramref name="program"/> as Program.cs of project <paramref name="name"/> in
    /// <paramref name="dir"/> and build it (Release) into dir/out: the build's result and the apphost's path.</summary>
    public static (CommandResult Build, string Exe) Build(string dir, string name, string program, bool warningsAsErrors = false)
    {
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        string lib = Path.Combine(AppContext.BaseDirectory, "FastFuse.dll");
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>{(warningsAsErrors ? "true" : "false")}</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="FastFuse" HintPath="{lib}" />
              </ItemGroup>
            </Project>
            """);
        var r = Command.Run("dotnet", ["build", "-c", "Release", "-o", Path.Combine(dir, "out"), "--nologo", "-nodeReuse:false", "-v", "quiet"],
            TimeSpan.FromMinutes(5), cwd: dir);
        return (r, Path.Combine(dir, "out", name));
    }
}
