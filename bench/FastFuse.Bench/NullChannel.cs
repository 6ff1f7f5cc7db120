using FastFuse.Interop;
using FastFuse.Transport;

namespace FastFuse.Bench;

/// <summary>A channel that takes every reply and only counts its bytes: the cost of the runtime alone.</summary>
internal sealed unsafe class NullChannel : FuseChannel
{
    public long Replies;
    public long Bytes;
    public int LastError;
    /// <summary>When set, keep the first 8 payload bytes of each reply in <see cref="FirstWord"/> (setup only).</summary>
    public bool CaptureFirstWord;
    public ulong FirstWord;

    public override int Read(byte* buffer, int capacity) => -Kernel.Errno.ENODEV;

    public override int WriteV(IoVec* iov, int count)
    {
        long total = 0;
        for (int i = 0; i < count; i++) total += (long)iov[i].Length;
        LastError = ((Kernel.FuseOutHeader*)iov[0].Base)->Error;
        if (CaptureFirstWord && iov[0].Length >= 24) FirstWord = *(ulong*)((byte*)iov[0].Base + 16);
        Replies++;
        Bytes += total;
        return (int)total;
    }

    public override void Dispose() { }
}
