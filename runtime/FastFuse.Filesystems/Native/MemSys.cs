using System.Runtime.InteropServices;

namespace FastFuse.Filesystems.Native;

/// <summary>
/// The memory-mapping calls of MemFs's chunk store (<see cref="ChunkArena"/>): anonymous mappings for file data,
/// and madvise to ask for huge pages or to give pages back. Pointers passed here are mappings the arena made
/// itself and still owns; the kernel keeps none of them. Every call returns -1 (MAP_FAILED for mmap) and leaves errno.
/// </summary>
internal static unsafe partial class MemSys
{
    private const string Lib = "libc";

    public const int PROT_READ = 1, PROT_WRITE = 2;
    public const int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    /// <summary>Free the pages now: the range reads as zeros afterwards and costs no memory until touched again.</summary>
    public const int MADV_DONTNEED = 4;
    public const int MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15;
    public static readonly nint MapFailed = -1;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint addr, nuint length);

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint addr, nuint length, int advice);
}
