// Lookup/attribute/forget payloads: entry and attr replies, getattr/statx requests, forget requests.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct FuseEntryOut
{
    public const int Size = 128;

    public ulong Nodeid;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetIn
{
    public const int Size = 8;

    public ulong Nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetOne
{
    public const int Size = 16;

    public ulong Nodeid;
    public ulong Nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseBatchForgetIn
{
    public const int Size = 8;

    public uint Count;
    public uint Dummy;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetattrIn
{
    public const int Size = 16;

    public uint GetattrFlags;
    public uint Dummy;
    public ulong Fh;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttrOut
{
    public const int Size = 104;

    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseStatxIn
{
    public const int Size = 24;

    public uint GetattrFlags;
    public uint Reserved;
    public ulong Fh;
    public uint SxFlags;
    public uint SxMask;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseStatxOut
{
    public const int Size = 288;

    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Flags;
    public fixed ulong Spare[2];
    public FuseStatx Stat;
}
