// Open-related flag sets: FOPEN_* (fuse_open_out.open_flags) and FUSE_OPEN_* (fuse_open_in/fuse_create_in.open_flags).
namespace FastFuse.Kernel;

[Flags]
public enum FopenFlags : uint
{
    None = 0,
    DirectIo = 1u << 0,
    KeepCache = 1u << 1,
    NonSeekable = 1u << 2,
    CacheDir = 1u << 3,
    Stream = 1u << 4,
    NoFlush = 1u << 5,
    ParallelDirectWrites = 1u << 6,
    Passthrough = 1u << 7,
}

[Flags]
public enum OpenInFlags : uint
{
    None = 0,
    KillSuidgid = 1u << 0,
}
