namespace FastFuse.Interop;

/// <summary>The calling process's real user and group (for owning a filesystem's root).</summary>
internal static class ProcessIdentity
{
    public static uint Uid => Libc.Getuid();
    public static uint Gid => Libc.Getgid();
    public static bool IsRoot => Libc.Geteuid() == 0;
}
