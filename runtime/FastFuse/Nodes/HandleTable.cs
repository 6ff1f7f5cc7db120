using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using FastFuse.Inodes;

namespace FastFuse.Nodes;

/// <summary>
/// Open file handles by the fh the kernel sends back: the lock-free <see cref="InodeTable{T}"/> again, so an fh is
/// <c>(generation &lt;&lt; 32) | slot</c> (a stale or forged fh never reaches a reused slot), lookup is an array
/// index, and removal is a CompareExchange, so a handle leaves the table, and is released, exactly once. The table's
/// root slot (fh 1) holds a reserved object that is never handed out; fh 0 means "no handle".
/// </summary>
internal sealed class HandleTable
{
    private sealed class Reserved : IFileHandle;

    private static readonly IFileHandle s_reserved = new Reserved();
    private readonly InodeTable<IFileHandle> _table = new(s_reserved, chunkSize: 1024);

    /// <summary>Handles open now.</summary>
    public int Count => _table.LiveCount - 1;

    /// <summary>Keep <paramref name="handle"/>; its fh.</summary>
    public ulong Add(IFileHandle handle) => _table.Add(handle);

    /// <summary>The handle of <paramref name="fh"/>, lock-free; false for 0, unknown, released or stale handles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ulong fh, [MaybeNullWhen(false)] out IFileHandle handle)
    {
        if (fh > InodeTable<IFileHandle>.RootId && _table.TryGet(fh, out handle)) return true;
        handle = null;
        return false;
    }

    /// <summary>The handle of <paramref name="fh"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IFileHandle? Get(ulong fh) => TryGet(fh, out var h) ? h : null;

    /// <summary>Take the handle of <paramref name="fh"/> out: true, and the handle, for exactly one caller.</summary>
    public bool Remove(ulong fh, [MaybeNullWhen(false)] out IFileHandle handle)
    {
        handle = null;
        return fh > InodeTable<IFileHandle>.RootId && _table.Release(fh, 1, out handle);
    }
}
