using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Kernel;

namespace FastFuse.Bench;

/// <summary>Kernel-layout requests built once into native (never moving) memory.</summary>
public sealed unsafe class NativeRequest : IDisposable
{
    public byte* Pointer { get; private set; }
    public int Length { get; }

    public NativeRequest(byte[] bytes)
    {
        Length = bytes.Length;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes.Length, 64), 64);
        bytes.CopyTo(new Span<byte>(Pointer, bytes.Length));
    }

    public void Dispose()
    {
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}

public static class Requests
{
    private static byte[] Build(Opcode op, ulong unique, ulong node, ReadOnlySpan<byte> body)
    {
        var b = new byte[40 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)b.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)op);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), node);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 4242);
        body.CopyTo(b.AsSpan(40));
        return b;
    }


    public static byte[] Init() =>
        Build(Opcode.Init, 1, 0, Body(w => { w.U32(7); w.U32(45); w.U32(128 * 1024);
            w.U32((uint)(InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.MaxPages | InitFlags.InitExt | InitFlags.ParallelDirops)); w.U32(0); w.Zeros(44); }));

    public static byte[] Lookup(ulong unique, ulong parent, string name) =>
        Build(Opcode.Lookup, unique, parent, Body(w => w.Name(name)));

    public static byte[] Getattr(ulong unique, ulong node) =>
        Build(Opcode.Getattr, unique, node, Body(w => { w.U32(0); w.U32(0); w.U64(0); }));

    public static byte[] Create(ulong unique, ulong parent, string name) =>
        Build(Opcode.Create, unique, parent, Body(w => { w.U32(0x42); w.U32(0x81A4); w.U32(0x12); w.U32(0); w.Name(name); }));

    public static byte[] Write(ulong unique, ulong node, ulong fh, ulong offset, byte[] data) =>
        Build(Opcode.Write, unique, node, Body(w => { w.U64(fh); w.U64(offset); w.U32((uint)data.Length); w.U32(0); w.U64(0); w.U32(2); w.U32(0); w.Bytes(data); }));

    public static byte[] Read(ulong unique, ulong node, ulong fh, ulong offset, uint size) =>
        Build(Opcode.Read, unique, node, Body(w => { w.U64(fh); w.U64(offset); w.U32(size); w.U32(0); w.U64(0); w.U32(0); w.U32(0); }));

    public static byte[] Open(ulong unique, ulong node) =>
        Build(Opcode.Open, unique, node, Body(w => { w.U32(0); w.U32(0); }));

    public static byte[] Readdir(ulong unique, ulong node, uint size) =>
        Build(Opcode.Readdir, unique, node, Body(w => { w.U64(0); w.U64(0); w.U32(size); w.U32(0); w.U64(0); w.U32(0); w.U32(0); }));

    private sealed class BodyWriter
    {
        public readonly List<byte> B = new();
        public void U32(uint v) { var t = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(t, v); B.AddRange(t); }
        public void U64(ulong v) { var t = new byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(t, v); B.AddRange(t); }
        public void Zeros(int n) => B.AddRange(new byte[n]);
        public void Bytes(byte[] d) => B.AddRange(d);
        public void Name(string s) { B.AddRange(Encoding.UTF8.GetBytes(s)); B.Add(0); }
    }

    private static byte[] Body(Action<BodyWriter> fill)
    {
        var w = new BodyWriter();
        fill(w);
        return w.B.ToArray();
    }
}
