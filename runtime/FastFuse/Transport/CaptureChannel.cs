using FastFuse.Interop;

namespace FastFuse.Transport;

/// <summary>
/// An in-process channel for tests, benchmarks and fuzzing: requests are fed by the caller, replies are copied
/// into a buffer the caller can inspect. No kernel involved.
/// </summary>
internal sealed unsafe class CaptureChannel : FuseChannel
{
    private readonly byte[] _last = GC.AllocateUninitializedArray<byte>(2 << 20, pinned: true);

    /// <summary>Number of replies written.</summary>
    public long Replies { get; private set; }
    /// <summary>Length of the last reply.</summary>
    public int LastLength { get; private set; }
    /// <summary>Make the next writes fail with this errno (negative), as the kernel would; 0 = succeed.</summary>
    public int FailWith { get; set; }

    /// <summary>The bytes of the last reply (valid until the next one).</summary>
    public ReadOnlySpan<byte> LastReply => _last.AsSpan(0, LastLength);

    public override int Read(byte* buffer, int capacity) => -Kernel.Errno.ENODEV;

    public override int WriteV(IoVec* iov, int count)
    {
        if (FailWith != 0) return FailWith;
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            var src = new ReadOnlySpan<byte>(iov[i].Base, (int)iov[i].Length);
            src.CopyTo(_last.AsSpan(total));
            total += src.Length;
        }
        LastLength = total;
        Replies++;
        return total;
    }

    public override void Dispose() { }
}
