using System.Runtime.InteropServices;

namespace FastFuse.Transport;

/// <summary>
/// A page-aligned native buffer: never moved by the GC, so the kernel may read and write it while a pointer
/// to it is held. Freed exactly once by <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private void* _ptr;

    public NativeBuffer(int size, bool zero = false)
    {
        Size = size;
        _ptr = NativeMemory.AlignedAlloc((nuint)size, 4096);
        if (zero) NativeMemory.Clear(_ptr, (nuint)size);
    }

    public int Size { get; }
    public byte* Pointer => (byte*)_ptr;
    public Span<byte> Span => new(_ptr, Size);

    public void Dispose()
    {
        void* p = _ptr;
        _ptr = null;
        if (p != null) NativeMemory.AlignedFree(p);
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer() => Dispose();
}

/// <summary>
/// Pool of same-size page-aligned buffers. Workers rent theirs when they start and return them when they stop,
/// so a session that mounts again reuses memory instead of growing.
/// </summary>
internal sealed class BufferPool : IDisposable
{
    private readonly Stack<NativeBuffer> _free = new();
    private readonly Lock _gate = new();
    private int _outstanding;

    public BufferPool(int bufferSize) => BufferSize = bufferSize;

    public int BufferSize { get; }
    public int Outstanding => Volatile.Read(ref _outstanding);

    public NativeBuffer Rent()
    {
        lock (_gate)
        {
            _outstanding++;
            return _free.Count > 0 ? _free.Pop() : new NativeBuffer(BufferSize);
        }
    }

    public void Return(NativeBuffer buffer)
    {
        lock (_gate)
        {
            _outstanding--;
            _free.Push(buffer);
        }
    }

    public void Dispose()
    {
        lock (_gate)
            while (_free.Count > 0) _free.Pop().Dispose();
    }
}
