using FastFuse.Interop;

namespace FastFuse.Transport;

/// <summary>
/// Where requests come from and replies go: one per worker. Return values follow the kernel's convention:
/// a byte count, or a negative errno.
/// </summary>
internal abstract unsafe class FuseChannel : IDisposable
{
    /// <summary>Read one request into <paramref name="buffer"/>; blocks. Returns its length or -errno.</summary>
    public abstract int Read(byte* buffer, int capacity);

    /// <summary>Write one reply, gathered from <paramref name="iov"/>; returns bytes written or -errno.</summary>
    public abstract int WriteV(IoVec* iov, int count);

    /// <summary>The file descriptor replies must be written to (-1 when not a kernel channel).</summary>
    public virtual int Fd => -1;

    public abstract void Dispose();
}
