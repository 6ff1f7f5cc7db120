using System.Runtime.InteropServices;

namespace FastFuse.Tests.Differential;

/// <summary>The few libc calls the differential test needs that Infrastructure/Posix.cs does not declare.</summary>
internal static unsafe class DiffSys
{
    [DllImport("libc", SetLastError = true)] public static extern nint llistxattr(string path, byte* list, nuint size);
    [DllImport("libc", SetLastError = true)] public static extern int lremovexattr(string path, string name);
}
