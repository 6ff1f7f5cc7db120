using System.Security.Cryptography;

namespace FastFuse.Tests.Infrastructure;

/// <summary>Small helpers shared by the mount tests.</summary>
public static class MountTestUtil
{
    /// <summary>How far a filesystem's "now" may lag a fine-grained clock: ext4 (under LoopbackFs) stamps times
    /// from the coarse clock, up to one tick (10 ms at HZ=100) behind.</summary>
    public const long ClockSlackNs = 20_000_000;

    /// <summary>Mount options where every lookup and getattr reaches the filesystem.</summary>
    public const string NoCache = "allow_other,entry_timeout=0,attr_timeout=0,negative_timeout=0";

    /// <summary>A time as nanoseconds since the epoch.</summary>
    public static long Ns((long Sec, uint Nsec) t) => t.Sec * 1_000_000_000L + t.Nsec;

    /// <summary>Wall-clock now in nanoseconds (CLOCK_REALTIME, 100 ns resolution).</summary>
    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>Let the clock move on so that a later timestamp is strictly greater.</summary>
    public static void Tick() => Thread.Sleep(15);

    /// <summary>A fresh directory on the root filesystem (ext4 here) for reference answers, 0755 so that another
    /// user may search it; the caller deletes it.</summary>
    public static string Ext4Dir()
    {
        string d = Directory.CreateTempSubdirectory("fastfuse-ext4-").FullName;
        if (Posix.chmod(d, 0x1ED) != 0) throw new InvalidOperationException($"chmod {d} failed");
        return d;
    }

    /// <summary>Wait up to 10 s for <paramref name="condition"/>; its last value. For what the daemon records after the
    /// reply that woke the caller (request counts, RELEASE effects).</summary>
    public static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(2);
        }
        return true;
    }

    public static byte[] Random(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    public static uint Makedev(uint major, uint minor) => ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xffu) << 12);
}
