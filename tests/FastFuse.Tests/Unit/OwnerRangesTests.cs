using System.Text.RegularExpressions;
using FastFuse.Filesystems;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Unit;

/// <summary>
/// OwnerRanges (LoopbackLocks' picture of what one owner holds, used to name the owner of a lock the kernel reports)
/// against the kernel itself: random lock and unlock calls on one OFD descriptor of a file on ext4, and after each
/// one the descriptor's locks as /proc/self/fdinfo lists them must be what OwnerRanges says.
/// </summary>
public sealed class OwnerRangesTests
{
    private const long OffsetMax = long.MaxValue;

    private static List<(long Start, long End, uint Type)> KernelLocks(int fd)
    {
        var locks = new List<(long, long, uint)>();
        foreach (var line in File.ReadAllLines($"/proc/self/fdinfo/{fd}"))
        {
            var m = Regex.Match(line, @"^lock:\s+\d+: OFDLCK\s+ADVISORY\s+(READ|WRITE)\s+-?\d+\s+\S+\s+(\d+)\s+(\d+|EOF)$");
            if (!m.Success) continue;
            locks.Add((long.Parse(m.Groups[2].Value), m.Groups[3].Value == "EOF" ? OffsetMax : long.Parse(m.Groups[3].Value),
                m.Groups[1].Value == "READ" ? 0u : 1u));
        }
        return locks;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MergesAndSplits_AsTheKernel(int seed)
    {
        string dir = MountTestUtil.Ext4Dir();
        int fd = Open(dir + "/f", O_RDWR | O_CREAT);
        try
        {
            var rng = new Random(seed);
            var ranges = new OwnerRanges();
            for (int step = 0; step < 400; step++)
            {
                short type = (short)rng.Next(3);   // F_RDLCK, F_WRLCK, F_UNLCK
                long start = rng.Next(40), len = rng.Next(8) == 0 ? 0 : rng.Next(1, 12);
                Assert.Equal(0, Lock(fd, F_OFD_SETLK, type, start, len));
                ranges.Apply(start, len == 0 ? OffsetMax : start + len - 1, (uint)type);
                var want = KernelLocks(fd).Order().ToList();
                var got = ranges.All.Select(r => (r.Start, r.End, r.Type)).Order().ToList();
                Assert.True(want.SequenceEqual(got), $"step {step} ({type} {start}+{len}): kernel {string.Join(' ', want)}, ours {string.Join(' ', got)}");
            }
        }
        finally
        {
            close(fd);
            Directory.Delete(dir, recursive: true);
        }
    }
}
