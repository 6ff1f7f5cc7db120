namespace FastFuse.Tests.Differential;

/// <summary>What a differential operation does (one syscall, or a short open/op/close sequence).</summary>
public enum OpKind
{
    Create, Mkdir, Rename, Link, Symlink, Unlink, Rmdir, Truncate, Chmod, Utimens, Pwrite, Pread,
    SetXattr, GetXattr, ListXattr, RemoveXattr, Fallocate, CopyFileRange, Readlink, Stat, Readdir,
}

/// <summary>
/// One generated operation. Paths are relative to the tree root ("t/a/e"); the executor maps them into each tree.
/// The meaning of <see cref="A"/>, <see cref="B"/>, <see cref="C"/>, <see cref="Flags"/> and <see cref="Mode"/>
/// depends on <see cref="Kind"/> (see <see cref="Describe"/>).
/// </summary>
public sealed record Op(int Index, OpKind Kind, string Path)
{
    public string? Path2 { get; init; }
    public long A { get; init; }
    public long B { get; init; }
    public long C { get; init; }
    public int Flags { get; init; }
    public uint Mode { get; init; }
    public bool NoFollow { get; init; }
    public string? Text { get; init; }
    public byte[]? Data { get; init; }

    public string Describe() => Kind switch
    {
        OpKind.Create => $"open({Path}, 0x{Flags:x}, 0{Convert.ToString(Mode, 8)})",
        OpKind.Mkdir => $"mkdir({Path}, 0{Convert.ToString(Mode, 8)})",
        OpKind.Rename => $"renameat2({Path}, {Path2}, {(Flags == 0 ? "0" : Flags == 1 ? "NOREPLACE" : "EXCHANGE")})",
        OpKind.Link => $"link({Path}, {Path2})",
        OpKind.Symlink => $"symlink(\"{Text}\", {Path})",
        OpKind.Unlink => $"unlink({Path})",
        OpKind.Rmdir => $"rmdir({Path})",
        OpKind.Truncate => $"truncate({Path}, {A})",
        OpKind.Chmod => $"fchmodat({Path}, 0{Convert.ToString(Mode, 8)}{(NoFollow ? ", NOFOLLOW" : "")})",
        OpKind.Utimens => $"utimensat({Path}, [{T(A, B)}, {T(C, Flags)}]{(NoFollow ? ", NOFOLLOW" : "")})",
        OpKind.Pwrite => $"pwrite({Path}{(NoFollow ? " O_NOFOLLOW" : "")}{((Flags & Infrastructure.Posix.O_APPEND) != 0 ? " O_APPEND" : "")}, len={Data!.Length}, off={A})",
        OpKind.Pread => $"pread({Path}{(NoFollow ? " O_NOFOLLOW" : "")}, len={B}, off={A})",
        OpKind.SetXattr => $"{(NoFollow ? "l" : "")}setxattr({Path}, {Text}, len={Data!.Length}, {XFlags(Flags)})",
        OpKind.GetXattr => $"{(NoFollow ? "l" : "")}getxattr({Path}, {Text}, size={A})",
        OpKind.ListXattr => $"{(NoFollow ? "l" : "")}listxattr({Path}, size={A})",
        OpKind.RemoveXattr => $"{(NoFollow ? "l" : "")}removexattr({Path}, {Text})",
        OpKind.Fallocate => $"fallocate({Path}, mode=0x{Flags:x}, off={A}, len={B})",
        OpKind.CopyFileRange => $"copy_file_range({Path}@{A} -> {Path2}@{B}, len={C})",
        OpKind.Readlink => $"readlink({Path})",
        OpKind.Stat => $"{(NoFollow ? "lstat" : "stat")}({Path})",
        OpKind.Readdir => $"readdir({Path})",
        _ => Kind.ToString(),
    };

    private static string T(long sec, long nsec) =>
        nsec == Infrastructure.Posix.UTIME_NOW ? "NOW" : nsec == Infrastructure.Posix.UTIME_OMIT ? "OMIT" : $"{sec}.{nsec:D9}";

    private static string XFlags(int f) => f switch { 0 => "0", 1 => "CREATE", 2 => "REPLACE", _ => f.ToString() };

    public override string ToString() => $"#{Index} {Describe()}";
}
