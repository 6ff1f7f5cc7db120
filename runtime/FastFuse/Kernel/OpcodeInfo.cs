// Allocation-free opcode name lookup (header spelling without the FUSE_ prefix).
namespace FastFuse.Kernel;

/// <summary>Opcode names as the header spells them, without the FUSE_ prefix, looked up without allocating.</summary>
public static class OpcodeInfo
{
    /// <summary>Highest FUSE (non-CUSE) opcode value defined by protocol 7.45.</summary>
    public const int MaxOpcode = (int)Opcode.CopyFileRange64;

    private static readonly string[] Names =
    [
        "UNKNOWN",            // 0
        "LOOKUP",             // 1
        "FORGET",             // 2
        "GETATTR",            // 3
        "SETATTR",            // 4
        "READLINK",           // 5
        "SYMLINK",            // 6
        "UNKNOWN",            // 7
        "MKNOD",              // 8
        "MKDIR",              // 9
        "UNLINK",             // 10
        "RMDIR",              // 11
        "RENAME",             // 12
        "LINK",               // 13
        "OPEN",               // 14
        "READ",               // 15
        "WRITE",              // 16
        "STATFS",             // 17
        "RELEASE",            // 18
        "UNKNOWN",            // 19
        "FSYNC",              // 20
        "SETXATTR",           // 21
        "GETXATTR",           // 22
        "LISTXATTR",          // 23
        "REMOVEXATTR",        // 24
        "FLUSH",              // 25
        "INIT",               // 26
        "OPENDIR",            // 27
        "READDIR",            // 28
        "RELEASEDIR",         // 29
        "FSYNCDIR",           // 30
        "GETLK",              // 31
        "SETLK",              // 32
        "SETLKW",             // 33
        "ACCESS",             // 34
        "CREATE",             // 35
        "INTERRUPT",          // 36
        "BMAP",               // 37
        "DESTROY",            // 38
        "IOCTL",              // 39
        "POLL",               // 40
        "NOTIFY_REPLY",       // 41
        "BATCH_FORGET",       // 42
        "FALLOCATE",          // 43
        "READDIRPLUS",        // 44
        "RENAME2",            // 45
        "LSEEK",              // 46
        "COPY_FILE_RANGE",    // 47
        "SETUPMAPPING",       // 48
        "REMOVEMAPPING",      // 49
        "SYNCFS",             // 50
        "TMPFILE",            // 51
        "STATX",              // 52
        "COPY_FILE_RANGE_64", // 53
    ];

    /// <summary>Upper-case name ("LOOKUP", "BATCH_FORGET", "CUSE_INIT"); "UNKNOWN" if undefined. Never allocates.</summary>
    public static string Name(Opcode opcode)
    {
        uint v = (uint)opcode;
        if (v < (uint)Names.Length)
            return Names[v];
        return opcode switch
        {
            Opcode.CuseInit => "CUSE_INIT",
            Opcode.CuseInitBswapReserved => "CUSE_INIT_BSWAP_RESERVED",
            Opcode.FuseInitBswapReserved => "INIT_BSWAP_RESERVED",
            _ => "UNKNOWN",
        };
    }

    /// <summary>True if the value is an opcode defined by protocol 7.45 (excluding the reserved byte-swap markers).</summary>
    public static bool IsDefined(Opcode opcode)
    {
        uint v = (uint)opcode;
        if (v < (uint)Names.Length)
            return v != 0 && v != 7 && v != 19;
        return opcode == Opcode.CuseInit;
    }
}
