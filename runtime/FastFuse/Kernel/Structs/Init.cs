// Handshake payloads: fuse_init_in/out and cuse_init_in/out.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitIn
{
    public const int Size = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
    public fixed uint Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitOut
{
    public const int Size = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
    public fixed ushort Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public struct CuseInitIn
{
    public const int Size = 16;

    public uint Major;
    public uint Minor;
    public uint Unused;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct CuseInitOut
{
    public const int Size = 72;

    public uint Major;
    public uint Minor;
    public uint Unused;
    public uint Flags;
    public uint MaxRead;
    public uint MaxWrite;
    public uint DevMajor;
    public uint DevMinor;
    public fixed uint Spare[10];
}
