namespace FastFuse.Api;

/// <summary>Entry and attribute validity in the kernel's form: whole seconds plus nanoseconds.</summary>
public static class CacheTimeout
{
    /// <summary>Split <paramref name="t"/> into seconds and nanoseconds (0 for zero or negative).</summary>
    public static void Split(TimeSpan t, out ulong sec, out uint nsec)
    {
        if (t <= TimeSpan.Zero) { sec = 0; nsec = 0; return; }
        sec = (ulong)(t.Ticks / TimeSpan.TicksPerSecond);
        nsec = (uint)(t.Ticks % TimeSpan.TicksPerSecond * 100);
    }
}
