using System.Runtime.InteropServices;

namespace FastFuse.Interop;

/// <summary>CLOCK_REALTIME with nanosecond resolution (DateTime.UtcNow stops at 100 ns).</summary>
internal static unsafe partial class Clock
{
    private const int CLOCK_REALTIME = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, Timespec* ts);

    /// <summary>Seconds and nanoseconds since the Unix epoch.</summary>
    public static (long Sec, uint Nsec) RealtimeNow()
    {
        Timespec ts;
        // Safe: ts lives on this stack frame for the call; clock_gettime only writes 16 bytes to it.
        ClockGettime(CLOCK_REALTIME, &ts);
        return (ts.Sec, (uint)ts.Nsec);
    }
}
