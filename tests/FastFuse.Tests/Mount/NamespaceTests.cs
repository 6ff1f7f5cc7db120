using FastFuse.Session;
using FastFuse.Kernel;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>mkdir, unlink, rmdir, rename, renameat2, link, readdir and directory link counts (MemFs and LoopbackFs).</summary>
public abstract class NamespaceTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    [MountFact]
    public void Mkdir_Existing_IsEEXIST()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EEXIST, Err(mkdir(m["d"], 0x1ED)));
        Touch(m["f"]);
        Assert.Equal(Errno.EEXIST, Err(mkdir(m["f"], 0x1ED)));
    }

    [MountFact]
    public void DirectoryNlink_IsTwoPlusSubdirectories()
    {
        using var m = Mount(NoCache);
        uint root0 = Stat(m.Path).Nlink;
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(root0 + 1, Stat(m.Path).Nlink);
        Assert.Equal(0, Err(mkdir(m["d/a"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["d/b"], 0x1ED)));
        Touch(m["d/file"]); // files do not count
        Assert.Equal(4u, Stat(m["d"]).Nlink);
        Assert.Equal(0, Err(rmdir(m["d/a"])));
        Assert.Equal(3u, Stat(m["d"]).Nlink);
        // moving a subdirectory moves its ".." link
        Assert.Equal(0, Err(mkdir(m["e"], 0x1ED)));
        Assert.Equal(0, Err(rename(m["d/b"], m["e/b"])));
        Assert.Equal(2u, Stat(m["d"]).Nlink);
        Assert.Equal(3u, Stat(m["e"]).Nlink);
    }

    [MountFact]
    public void Unlink_RemovesTheName()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(unlink(m["f"])));
        Assert.Equal(Errno.ENOENT, TryStat(m["f"], out _));
        Assert.Equal(Errno.ENOENT, Err(unlink(m["f"])));
        Assert.DoesNotContain(ReadDir(m.Path), e => e.Name == "f");
    }

    [MountFact]
    public void Unlink_Directory_IsEISDIR()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EISDIR, Err(unlink(m["d"])));
        Assert.Equal(0, TryStat(m["d"], out _));
    }

    [MountFact]
    public void Rmdir_NonEmpty_IsENOTEMPTY_File_IsENOTDIR_Empty_Works()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Touch(m["d/f"]);
        Assert.Equal(Errno.ENOTEMPTY, Err(rmdir(m["d"])));
        Assert.Equal(Errno.ENOTDIR, Err(rmdir(m["d/f"])));
        Assert.Equal(0, Err(unlink(m["d/f"])));
        Assert.Equal(0, Err(rmdir(m["d"])));
        Assert.Equal(Errno.ENOENT, TryStat(m["d"], out _));
        Assert.Equal(Errno.ENOENT, Err(rmdir(m["d"])));
    }

    [MountFact]
    public void Rename_ReplacesAFile()
    {
        using var m = Mount(NoCache);
        WriteFile(m["a"], "new"u8);
        WriteFile(m["b"], "old contents"u8);
        ulong ino = Stat(m["a"]).Ino;
        Assert.Equal(0, Err(rename(m["a"], m["b"])));
        Assert.Equal(Errno.ENOENT, TryStat(m["a"], out _));
        Assert.Equal("new"u8.ToArray(), ReadFile(m["b"]));
        Assert.Equal(ino, Stat(m["b"]).Ino);
        Assert.Equal(new[] { "b" }, ReadDir(m.Path).Select(e => e.Name).Where(n => n is not "." and not "..").ToArray());
    }

    [MountFact]
    public void Rename_DirectoryReplacesAnEmptyDirectory()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["src"], 0x1ED)));
        Touch(m["src/inside"]);
        Assert.Equal(0, Err(mkdir(m["dst"], 0x1ED)));
        uint rootLinks = Stat(m.Path).Nlink;
        Assert.Equal(0, Err(rename(m["src"], m["dst"])));
        Assert.Equal(0, TryStat(m["dst/inside"], out _));
        Assert.Equal(Errno.ENOENT, TryStat(m["src"], out _));
        Assert.Equal(rootLinks - 1, Stat(m.Path).Nlink);
    }

    [MountFact]
    public void Rename_OntoNonEmptyDirectory_IsENOTEMPTY()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["src"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["dst"], 0x1ED)));
        Touch(m["dst/keep"]);
        int e = Err(rename(m["src"], m["dst"]));
        Assert.Equal(Errno.ENOTEMPTY, e); // what ext4 answers (POSIX also allows EEXIST)
        Assert.Equal(0, TryStat(m["dst/keep"], out _));
        Assert.Equal(0, TryStat(m["src"], out _));
    }

    [MountFact]
    public void Rename_FileOntoDirectory_IsEISDIR()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EISDIR, Err(rename(m["f"], m["d"])));
        Assert.Equal(S_IFDIR, Stat(m["d"]).Type);
    }

    [MountFact]
    public void Rename_DirectoryOntoFile_IsENOTDIR()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.ENOTDIR, Err(rename(m["d"], m["f"])));
        Assert.Equal(S_IFREG, Stat(m["f"]).Type);
    }

    [MountFact]
    public void Rename_DirectoryIntoItsOwnSubtree_IsEINVAL()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["a"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["a/b"], 0x1ED)));
        Assert.Equal(Errno.EINVAL, Err(rename(m["a"], m["a/b/c"])));
        Assert.Equal(Errno.EINVAL, Err(rename(m["a"], m["a/c"])));
        Assert.Equal(0, TryStat(m["a/b"], out _));
    }

    [MountFact]
    public void Rename_MissingSource_IsENOENT()
    {
        using var m = Mount(NoCache);
        Assert.Equal(Errno.ENOENT, Err(rename(m["missing"], m["x"])));
    }

    [MountFact]
    public void Rename_TwoNamesOfOneInode_IsANoOp()
    {
        using var m = Mount(NoCache);
        Touch(m["a"]);
        Assert.Equal(0, Err(link(m["a"], m["b"])));
        Assert.Equal(0, Err(rename(m["a"], m["b"])));
        Assert.Equal(0, TryStat(m["a"], out _)); // POSIX: both names stay
        Assert.Equal(2u, Stat(m["b"]).Nlink);
    }

    [MountFact]
    public void RenameNoreplace_ExistingTarget_IsEEXIST_NewTargetWorks()
    {
        using var m = Mount(NoCache);
        WriteFile(m["a"], "A"u8);
        WriteFile(m["b"], "B"u8);
        Assert.Equal(Errno.EEXIST, Err(renameat2(AT_FDCWD, m["a"], AT_FDCWD, m["b"], RENAME_NOREPLACE)));
        Assert.Equal("B"u8.ToArray(), ReadFile(m["b"]));
        Assert.Equal("A"u8.ToArray(), ReadFile(m["a"]));
        Assert.Equal(0, Err(renameat2(AT_FDCWD, m["a"], AT_FDCWD, m["c"], RENAME_NOREPLACE)));
        Assert.Equal("A"u8.ToArray(), ReadFile(m["c"]));
        Assert.Equal(Errno.ENOENT, TryStat(m["a"], out _));
    }

    [MountFact]
    public void RenameExchange_SwapsBothNames()
    {
        using var m = Mount(NoCache);
        WriteFile(m["a"], "AAA"u8);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        WriteFile(m["d/b"], "BB"u8);
        ulong ia = Stat(m["a"]).Ino, ib = Stat(m["d/b"]).Ino;
        Assert.Equal(0, Err(renameat2(AT_FDCWD, m["a"], AT_FDCWD, m["d/b"], RENAME_EXCHANGE)));
        Assert.Equal("BB"u8.ToArray(), ReadFile(m["a"]));
        Assert.Equal("AAA"u8.ToArray(), ReadFile(m["d/b"]));
        Assert.Equal(ib, Stat(m["a"]).Ino);
        Assert.Equal(ia, Stat(m["d/b"]).Ino);
    }

    [MountFact]
    public void RenameExchange_FileWithDirectory_MovesTheDotDotLinks()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["p"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["q"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["p/dir"], 0x1ED)));
        Touch(m["q/file"]);
        Assert.Equal(0, Err(renameat2(AT_FDCWD, m["p/dir"], AT_FDCWD, m["q/file"], RENAME_EXCHANGE)));
        Assert.Equal(S_IFREG, Stat(m["p/dir"]).Type);
        Assert.Equal(S_IFDIR, Stat(m["q/file"]).Type);
        Assert.Equal(2u, Stat(m["p"]).Nlink);
        Assert.Equal(3u, Stat(m["q"]).Nlink);
    }

    [MountFact]
    public void RenameExchange_MissingTarget_IsENOENT()
    {
        using var m = Mount(NoCache);
        WriteFile(m["a"], "A"u8);
        Assert.Equal(Errno.ENOENT, Err(renameat2(AT_FDCWD, m["a"], AT_FDCWD, m["missing"], RENAME_EXCHANGE)));
        Assert.Equal("A"u8.ToArray(), ReadFile(m["a"]));
    }

    [MountFact]
    public void Link_SharesTheInodeAndCountsLinks()
    {
        using var m = Mount(NoCache);
        WriteFile(m["a"], "shared"u8);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(0, Err(link(m["a"], m["d/b"])));
        var a = Stat(m["a"]);
        var b = Stat(m["d/b"]);
        Assert.Equal(a.Ino, b.Ino);
        Assert.Equal(2u, a.Nlink);
        Assert.Equal(2u, b.Nlink);
        WriteFile(m["d/b"], "changed"u8); // O_TRUNC through the other name
        Assert.Equal("changed"u8.ToArray(), ReadFile(m["a"]));
        Assert.Equal(0, Err(link(m["a"], m["c"])));
        Assert.Equal(3u, Stat(m["a"]).Nlink);
        Assert.Equal(0, Err(unlink(m["a"])));
        Assert.Equal(2u, Stat(m["c"]).Nlink);
        Assert.Equal("changed"u8.ToArray(), ReadFile(m["c"]));
    }

    [MountFact]
    public void Link_Directory_IsEPERM_ExistingTarget_IsEEXIST()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EPERM, Err(link(m["d"], m["d2"])));
        Touch(m["a"]);
        Touch(m["b"]);
        Assert.Equal(Errno.EEXIST, Err(link(m["a"], m["b"])));
        Assert.Equal(1u, Stat(m["a"]).Nlink);
    }

    [MountFact]
    public void Readdir_ListsDotDotDotAndEveryNameWithItsType()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Touch(m["d/file"]);
        Assert.Equal(0, Err(mkdir(m["d/sub"], 0x1ED)));
        Assert.Equal(0, Err(symlink("file", m["d/link"])));
        Assert.Equal(0, Err(mkfifo(m["d/fifo"], 0x1A4)));
        var entries = ReadDir(m["d"]);
        var byName = entries.ToDictionary(e => e.Name, e => e.Type);
        Assert.Equal(6, entries.Count);
        Assert.Equal(DT_DIR, byName["."]);
        Assert.Equal(DT_DIR, byName[".."]);
        Assert.Equal(DT_REG, byName["file"]);
        Assert.Equal(DT_DIR, byName["sub"]);
        Assert.Equal(DT_LNK, byName["link"]);
        Assert.Equal(DT_FIFO, byName["fifo"]);
        Assert.Equal(Stat(m["d/file"]).Ino, entries.Single(e => e.Name == "file").Ino);
    }

    [MountFact]
    public void Readdir_EmptyDirectory_HasOnlyDotAndDotDot()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(new[] { ".", ".." }, ReadDir(m["d"]).Select(e => e.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray());
    }

    [MountFact]
    public void Readdir_SmallBuffer_ReturnsEveryNameExactlyOnce()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        var expected = Enumerable.Range(0, 500).Select(i => $"entry-{i:D4}-{new string('x', i % 50)}").ToHashSet();
        foreach (var n in expected) Touch(m["d/" + n]);
        var names = ReadDir(m["d"], bufferSize: 512).Select(e => e.Name).Where(n => n is not "." and not "..").ToList();
        Assert.Equal(expected.Count, names.Count);
        Assert.True(expected.SetEquals(names));
    }

    [MountFact]
    public void OpenDirectoryForWriting_IsEISDIR()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EISDIR, OpenErr(m["d"], O_WRONLY, 0));
        Assert.Equal(Errno.EISDIR, OpenErr(m["d"], O_RDWR, 0));
    }

    [MountFact]
    public void OpenFileWithODirectory_IsENOTDIR()
    {
        using var m = Mount(NoCache);
        Touch(m["f"]);
        Assert.Equal(Errno.ENOTDIR, OpenErr(m["f"], O_RDONLY | O_DIRECTORY, 0));
    }

    // ---------------------------------------------------------------- directory times

    [MountFact]
    public void DirectoryMtimeAndCtime_ChangeOnCreate()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        var before = Stat(m["d"]);
        Tick();
        Touch(m["d/f"]);
        var after = Stat(m["d"]);
        Assert.True(Ns(after.Mtime) > Ns(before.Mtime), "mtime");
        Assert.True(Ns(after.Ctime) > Ns(before.Ctime), "ctime");
    }

    [MountFact]
    public void DirectoryMtimeAndCtime_ChangeOnUnlink()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        Touch(m["d/f"]);
        var before = Stat(m["d"]);
        Tick();
        Assert.Equal(0, Err(unlink(m["d/f"])));
        var after = Stat(m["d"]);
        Assert.True(Ns(after.Mtime) > Ns(before.Mtime), "mtime");
        Assert.True(Ns(after.Ctime) > Ns(before.Ctime), "ctime");
    }

    [MountFact]
    public void DirectoryMtimeAndCtime_ChangeOnRename_InBothDirectories()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["s"], 0x1ED)));
        Assert.Equal(0, Err(mkdir(m["t"], 0x1ED)));
        Touch(m["s/f"]);
        var s0 = Stat(m["s"]);
        var t0 = Stat(m["t"]);
        Tick();
        Assert.Equal(0, Err(rename(m["s/f"], m["t/g"])));
        var s1 = Stat(m["s"]);
        var t1 = Stat(m["t"]);
        Assert.True(Ns(s1.Mtime) > Ns(s0.Mtime) && Ns(s1.Ctime) > Ns(s0.Ctime), "source directory");
        Assert.True(Ns(t1.Mtime) > Ns(t0.Mtime) && Ns(t1.Ctime) > Ns(t0.Ctime), "target directory");
    }

    [MountFact]
    public void DirectoryTimes_ChangeOnMkdirRmdirAndSymlink()
    {
        using var m = Mount(NoCache);
        Assert.Equal(0, Err(mkdir(m["d"], 0x1ED)));
        foreach (var step in new Action[]
                 {
                     () => Assert.Equal(0, Err(mkdir(m["d/sub"], 0x1ED))),
                     () => Assert.Equal(0, Err(rmdir(m["d/sub"]))),
                     () => Assert.Equal(0, Err(symlink("x", m["d/l"]))),
                     () => Assert.Equal(0, Err(mkfifo(m["d/p"], 0x1A4))),
                 })
        {
            var before = Stat(m["d"]);
            Tick();
            step();
            var after = Stat(m["d"]);
            Assert.True(Ns(after.Mtime) > Ns(before.Mtime) && Ns(after.Ctime) > Ns(before.Ctime));
        }
    }

    // ---------------------------------------------------------------- file ctime

    public static TheoryData<string> CtimeOps => new() { "chmod", "chown", "link", "unlink", "rename", "truncate", "setxattr", "removexattr" };

    [MountTheory]
    [MemberData(nameof(CtimeOps))]
    public void FileCtime_ChangesOn(string op)
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "0123456789"u8);
        Touch(m["other"]);
        Assert.Equal(0, SetXattr(m["f"], "user.x", "1"u8));
        Assert.Equal(0, Err(link(m["f"], m["second"])));
        var before = Stat(m["f"]);
        Tick();
        string after = "f";
        int rc = op switch
        {
            "chmod" => Err(chmod(m["f"], 0x180)),
            "chown" => Err(chown(m["f"], 1000, 1000)),
            "link" => Err(link(m["f"], m["third"])),
            "unlink" => Err(unlink(m["second"])),
            "rename" => Err(rename(m["f"], m[after = "renamed"])),
            "truncate" => Err(truncate(m["f"], 5)),
            "setxattr" => SetXattr(m["f"], "user.y", "2"u8),
            "removexattr" => Err(removexattr(m["f"], "user.x")),
            _ => throw new ArgumentException(op),
        };
        Assert.Equal(0, rc);
        var st = Stat(m[after]);
        Assert.True(Ns(st.Ctime) > Ns(before.Ctime), $"ctime must change on {op}");
        if (op is not "truncate") Assert.Equal(Ns(before.Mtime), Ns(st.Mtime)); // only ctime
    }

    [MountFact]
    public void FileMtimeAndCtime_ChangeOnWrite()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "x"u8);
        var before = Stat(m["f"]);
        Tick();
        int fd = Open(m["f"], O_WRONLY);
        PwriteAll(fd, "y"u8, 5);
        Close(fd);
        var after = Stat(m["f"]);
        Assert.True(Ns(after.Mtime) > Ns(before.Mtime), "mtime");
        Assert.True(Ns(after.Ctime) > Ns(before.Ctime), "ctime");
    }

    [MountFact]
    public void FileMtimeAndCtime_ChangeOnTruncate()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "xyz"u8);
        var before = Stat(m["f"]);
        Tick();
        Assert.Equal(0, Err(truncate(m["f"], 1)));
        var after = Stat(m["f"]);
        Assert.True(Ns(after.Mtime) > Ns(before.Mtime), "mtime");
        Assert.True(Ns(after.Ctime) > Ns(before.Ctime), "ctime");
    }

    [MountFact]
    public void OpenWithOTrunc_ChangesMtimeAndEmptiesTheFile()
    {
        using var m = Mount(NoCache);
        WriteFile(m["f"], "contents"u8);
        var before = Stat(m["f"]);
        Tick();
        Close(Open(m["f"], O_WRONLY | O_TRUNC));
        var after = Stat(m["f"]);
        Assert.Equal(0, after.Size);
        Assert.True(Ns(after.Mtime) > Ns(before.Mtime), "mtime");
        Assert.Empty(ReadFile(m["f"]));
    }
}

public sealed class NamespaceTests_MemFs() : NamespaceTests(FsKind.MemFs);
public sealed class NamespaceTests_Loopback() : NamespaceTests(FsKind.Loopback);

public sealed class NamespaceTests_MemFs_FuseUring() : NamespaceTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class NamespaceTests_MemFs_Uring() : NamespaceTests(FsKind.MemFs, TransportKind.Uring);
public sealed class NamespaceTests_Loopback_FuseUring() : NamespaceTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class NamespaceTests_Loopback_Uring() : NamespaceTests(FsKind.Loopback, TransportKind.Uring);
public sealed class NamespaceTests_MemFs_Writeback() : NamespaceTests(FsKind.MemFs);
public sealed class NamespaceTests_Loopback_Writeback() : NamespaceTests(FsKind.Loopback);
