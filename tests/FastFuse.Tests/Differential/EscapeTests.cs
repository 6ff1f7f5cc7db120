using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Differential.FuseRequests;

namespace FastFuse.Tests.Differential;

/// <summary>
/// Attempts to leave a LoopbackFs source: crafted requests (in-process, no kernel to sanitise them) naming ".",
/// "..", "a/b", or looking up below a symlink node; and, through a real mount, a symlink pointing outside, which
/// the kernel may follow in the caller's namespace but LoopbackFs itself must never follow.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class EscapeTests : IDisposable
{
    private const uint RootNode = 1;
    private const long Ext4Magic = 0xEF53, FuseMagic = 0x65735546;
    private readonly string _work, _src, _outside;

    public EscapeTests()
    {
        _work = Directory.CreateTempSubdirectory("fastfuse-escape-").FullName;
        Posix.chmod(_work, 0x1ED);
        _src = Path.Combine(_work, "src");
        _outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(Path.Combine(_src, "d"));
        Directory.CreateDirectory(_outside);
        Posix.chmod(_src, 0x1ED);
        File.WriteAllText(Path.Combine(_src, "d", "f"), "inside");
        File.WriteAllText(Path.Combine(_src, "top"), "top");
        File.WriteAllText(Path.Combine(_outside, "secret"), "secret");
        Assert.Equal(0, Posix.Err(Posix.symlink("/etc", Path.Combine(_src, "etc"))));
        Assert.Equal(0, Posix.Err(Posix.symlink(_outside, Path.Combine(_src, "out"))));
    }

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>What the work directory (the source's parent), the source and the outside dir hold, recursively,
    /// never following a symlink (the one to /etc is listed as a link, not walked).</summary>
    private string Inventory()
    {
        var lines = new List<string>();
        void Walk(string dir)
        {
            foreach (var p in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
            {
                var st = Posix.Lstat(p);
                string detail = st.Type switch
                {
                    Posix.S_IFLNK => "-> " + Posix.ReadLink(p),
                    Posix.S_IFREG => "= " + File.ReadAllText(p),
                    _ => $"{TreeExecutor.TypeName(st.Type)} nlink={st.Nlink}",
                };
                lines.Add($"{p} {detail} perm={Convert.ToString(st.Perm, 8)}");
                if (st.Type == Posix.S_IFDIR) Walk(p);
            }
        }
        Walk(_work);
        return string.Join("\n", lines);
    }

    private static LoopbackFs NewFs(string src) => new(src, new LoopbackOptions { EntryTimeout = TimeSpan.Zero, AttrTimeout = TimeSpan.Zero, NegativeTimeout = TimeSpan.Zero });

    private static void AssertRefused(int error, string what, params int[] allowed)
    {
        if (allowed.Length == 0) allowed = [Errno.EINVAL, Errno.EPERM, Errno.ENOTDIR];
        Assert.True(error < 0 && allowed.Contains(-error),
            $"{what}: expected one of {string.Join("/", allowed.Select(Errno.Name))}, got {(error == 0 ? "success" : Errno.Name(-error))}");
    }

    [Fact]
    public void Lookup_DotDot_Dot_AndSlashNames_AreRefused_FromRootAndSubdir()
    {
        using var fs = NewFs(_src);
        using var s = new InProcessSession(fs);
        var (d, dMode) = s.MustLookup(RootNode, "d");         // control: the harness resolves ordinary names
        Assert.Equal(Posix.S_IFDIR, dMode & Posix.S_IFMT);
        var (f, _) = s.MustLookup(d, "f");
        Assert.NotEqual(0ul, f);

        foreach (var (parent, where) in new[] { ((ulong)RootNode, "root"), (d, "d") })
        {
            foreach (var name in new[] { "..", ".", "../outside", "d/f", "../../etc" })
            {
                var (err, payload) = s.Send(Build(Lookup, parent, name));
                AssertRefused(err, $"LOOKUP \"{name}\" under {where}");
                Assert.Empty(payload);
            }
        }
    }

    [Fact]
    public void Lookup_BelowASymlinkNode_Fails_WithoutFollowingIt()
    {
        using var fs = NewFs(_src);
        using var s = new InProcessSession(fs);
        foreach (var (link, child) in new[] { ("etc", "passwd"), ("out", "secret") })
        {
            var (node, mode) = s.MustLookup(RootNode, link);
            Assert.Equal(Posix.S_IFLNK, mode & Posix.S_IFMT); // the link itself, not what it points to
            var (err, payload) = s.Send(Build(Lookup, node, child));
            AssertRefused(err, $"LOOKUP \"{child}\" under the symlink node {link}", Errno.ENOTDIR, Errno.ELOOP);
            Assert.Empty(payload);
            (err, _) = s.Send(Build(Mkdir, node, 0x1EDu, 0u, "planted"));
            AssertRefused(err, $"MKDIR under the symlink node {link}", Errno.ENOTDIR, Errno.ELOOP);
            (err, _) = s.Send(Build(Create, node, (uint)(Posix.O_CREAT | Posix.O_WRONLY), 0x81A4u, 0u, 0u, "planted"));
            AssertRefused(err, $"CREATE under the symlink node {link}", Errno.ENOTDIR, Errno.ELOOP);
        }
        Assert.False(File.Exists(Path.Combine(_outside, "planted")));
        Assert.False(Directory.Exists(Path.Combine(_outside, "planted")));
    }

    [Fact]
    public void NamespaceOps_WithDotDotNames_AreRefused_AndChangeNothing()
    {
        string before = Inventory();
        using var fs = NewFs(_src);
        using var s = new InProcessSession(fs);
        var (d, _) = s.MustLookup(RootNode, "d");
        var (f, _) = s.MustLookup(d, "f");
        var (top, _) = s.MustLookup(RootNode, "top");
        Assert.NotEqual(0ul, top);

        var attempts = new List<(string What, byte[] Request)>();
        foreach (var (parent, where) in new[] { ((ulong)RootNode, "root"), (d, "d") })
        {
            foreach (var name in new[] { "..", ".", "../escaped" })
            {
                attempts.Add(($"MKDIR {where}/{name}", Build(Mkdir, parent, 0x1EDu, 0u, name)));
                attempts.Add(($"MKNOD {where}/{name}", Build(Mknod, parent, 0x81A4u, 0u, 0u, 0u, name)));
                attempts.Add(($"CREATE {where}/{name}", Build(Create, parent, (uint)(Posix.O_CREAT | Posix.O_WRONLY), 0x81A4u, 0u, 0u, name)));
                attempts.Add(($"SYMLINK {where}/{name} -> /etc", Build(Symlink, parent, name, "/etc")));
                attempts.Add(($"LINK f as {where}/{name}", Build(Link, parent, f, name)));
                attempts.Add(($"UNLINK {where}/{name}", Build(Unlink, parent, name)));
                attempts.Add(($"RMDIR {where}/{name}", Build(Rmdir, parent, name)));
                attempts.Add(($"RENAME root/top -> {where}/{name}", Build(Rename, RootNode, (ulong)parent, "top", name)));
                attempts.Add(($"RENAME {where}/{name} -> root/stolen", Build(Rename, parent, (ulong)RootNode, name, "stolen")));
                attempts.Add(($"RENAME2 EXCHANGE {where}/{name} <-> root/top", Build(Rename2, parent, (ulong)RootNode, 2u, 0u, name, "top")));
                attempts.Add(($"RENAME2 NOREPLACE root/top -> {where}/{name}", Build(Rename2, RootNode, (ulong)parent, 1u, 0u, "top", name)));
            }
        }
        var failures = new List<string>();
        foreach (var (what, request) in attempts)
        {
            var (err, _) = s.Send(request);
            if (!(err < 0 && (-err is Errno.EINVAL or Errno.EPERM or Errno.ENOTDIR)))
                failures.Add($"{what}: {(err == 0 ? "succeeded" : Errno.Name(-err))}");
        }
        Assert.True(failures.Count == 0, "not refused (EINVAL/EPERM/ENOTDIR expected):\n" + string.Join("\n", failures));
        Assert.Equal(before, Inventory());
    }

    [MountFact]
    public void Mount_SymlinkPointingOutside_IsFollowedByTheKernelOnly()
    {
        using var fs = NewFs(_src);
        using (var m = new MountedFs(fs))
        {
            // The link is served as a link: LoopbackFs did not resolve it.
            var lst = Posix.Lstat(m["out"]);
            Assert.Equal(Posix.S_IFLNK, lst.Type);
            Assert.Equal(_outside, Posix.ReadLink(m["out"]));
            Assert.Equal(FuseMagic, Posix.Statfs(m["top"]).Type);      // control: a name inside is served by FUSE
            // The kernel follows it in the caller's namespace, which lands outside the mount, on ext4 itself.
            Assert.Equal("secret", System.Text.Encoding.UTF8.GetString(Posix.ReadFile(m["out/secret"])));
            Assert.Equal(Ext4Magic, Posix.Statfs(m["out/secret"]).Type);
            Assert.Equal(Posix.Stat(Path.Combine(_outside, "secret")).Ino, Posix.Stat(m["out/secret"]).Ino);
            Assert.NotEqual(FuseMagic, Posix.Statfs(m["etc/passwd"]).Type);
        }
        fs.Dispose();
    }
}
