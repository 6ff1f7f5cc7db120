using System.Runtime.InteropServices;
using FastFuse.Uring;

namespace FastFuse.Interop;

/// <summary>
/// The io_uring system calls (no liburing), the memory mapping calls the rings need, eventfd and CPU affinity.
/// Callers pass pointers to memory they own for the duration of the call; that is the only invariant.
/// Each returns a non-negative result or -errno.
/// </summary>
internal static unsafe partial class UringSys
{
    private const string Lib = "libc";
    // x86_64 system call numbers (the same on every architecture since 5.1 for these three).
    private const long SysIoUringSetup = 425, SysIoUringEnter = 426, SysIoUringRegister = 427;

    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_POPULATE = 0x8000;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    private static partial void* MmapRaw(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* addr, nuint length);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventfdRaw(uint initval, int flags);

    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetaffinity(int pid, nuint size, ulong* mask);

    private static int Result(long r) => r < 0 ? -Marshal.GetLastPInvokeError() : (int)r;

    public static int Setup(uint entries, IoUringParams* p) => Result(Syscall(SysIoUringSetup, entries, (long)p, 0, 0, 0, 0));

    /// <summary>io_uring_enter without a signal mask.</summary>
    public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags) =>
        Result(Syscall(SysIoUringEnter, fd, toSubmit, minComplete, flags, 0, 0));

    public static int Register(int fd, uint opcode, void* arg, uint count) =>
        Result(Syscall(SysIoUringRegister, fd, opcode, (long)arg, count, 0, 0));

    /// <summary>Map a ring region of an io_uring fd; null on failure with <paramref name="errno"/> set.</summary>
    public static byte* Mmap(int fd, nuint length, long offset, out int errno)
    {
        void* p = MmapRaw(null, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (p == (void*)-1)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return (byte*)p;
    }

    public static int Eventfd(int flags)
    {
        int fd = EventfdRaw(0, flags);
        return fd < 0 ? -Marshal.GetLastPInvokeError() : fd;
    }

    /// <summary>Pin the calling thread to <paramref name="cpu"/> (0..1023). Returns 0 or -errno.</summary>
    public static int PinCurrentThread(int cpu)
    {
        ulong* mask = stackalloc ulong[16];
        for (int i = 0; i < 16; i++) mask[i] = 0;
        mask[cpu / 64] = 1UL << (cpu % 64);
        // Safe: mask is 128 bytes on this stack frame; pid 0 means the calling thread.
        return SchedSetaffinity(0, 128, mask) < 0 ? -Marshal.GetLastPInvokeError() : 0;
    }
}
