namespace FastFuse.Interop;

/// <summary>struct iovec: one segment of a readv/writev.</summary>
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;

    public IoVec(void* b, int length)
    {
        Base = b;
        Length = (nuint)length;
    }
}
