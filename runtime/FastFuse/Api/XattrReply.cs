using FastFuse.Kernel;

namespace FastFuse.Api;

/// <summary>
/// The answer to GETXATTR or LISTXATTR. The kernel first asks with size 0 to learn how big the value is
/// (<see cref="IsSizeProbe"/>), then asks for the bytes. <see cref="Set"/> does the right thing for both,
/// including ERANGE when the caller's buffer is too small.
/// </summary>
public unsafe ref struct XattrReply
{
    // Invariant: _buffer is the worker's pinned reply buffer, at least _capacity bytes, owned by this request.
    private readonly byte* _buffer;
    private readonly int _capacity;

    internal XattrReply(byte* buffer, int capacity, uint requestedSize)
    {
        _buffer = buffer;
        _capacity = capacity;
        RequestedSize = requestedSize;
        Length = 0;
        ProbeAnswer = 0;
    }

    /// <summary>The size of the caller's buffer; 0 when it only wants to know the size.</summary>
    public uint RequestedSize { get; }
    /// <summary>True when the kernel asks only for the size of the value (<see cref="RequestedSize"/> 0):
    /// <see cref="Set"/> then answers the length and copies nothing.</summary>
    public readonly bool IsSizeProbe => RequestedSize == 0;
    internal int Length { get; private set; }
    internal uint ProbeAnswer { get; private set; }

    /// <summary>Answer with <paramref name="value"/>; returns 0 or ERANGE (pass the result straight back).</summary>
    public int Set(scoped ReadOnlySpan<byte> value)
    {
        if (IsSizeProbe)
        {
            ProbeAnswer = (uint)value.Length;
            return Status.Ok;
        }
        if (value.Length > RequestedSize) return Errno.ERANGE;
        if (value.Length > _capacity) return Errno.E2BIG;
        value.CopyTo(new Span<byte>(_buffer, value.Length));
        Length = value.Length;
        return Status.Ok;
    }

    /// <summary>Answer a value of <paramref name="length"/> bytes written in place into the returned span
    /// (for listxattr: names each followed by NUL). Returns an empty span for a size probe or when too small
    /// (then <paramref name="error"/> is ERANGE).</summary>
    public Span<byte> Reserve(int length, out int error)
    {
        error = Status.Ok;
        if (IsSizeProbe)
        {
            ProbeAnswer = (uint)length;
            return default;
        }
        if (length > RequestedSize) { error = Errno.ERANGE; return default; }
        if (length > _capacity) { error = Errno.E2BIG; return default; }
        Length = length;
        return new Span<byte>(_buffer, length);
    }
}
