// The C structs of fastfuse.h, field for field. Unsafe by nature: every member is a C function pointer.
using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Native;

/// <summary><c>struct fastfuse_ctx</c>: who asked, and the request token (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeCtx
{
    public ulong Unique;
    public ulong NodeId;
    public uint Uid, Gid, Pid;
    public uint Umask;
    /// <summary>fastfuse_req*: this request's token (<see cref="NativeRequests"/>).</summary>
    public nint Req;

    public NativeCtx(in RequestContext ctx, uint umask = 0)
    {
        Unique = ctx.Unique;
        NodeId = ctx.NodeId;
        Uid = ctx.Uid;
        Gid = ctx.Gid;
        Pid = ctx.Pid;
        Umask = umask;
        Req = 0;
    }
}

/// <summary><c>struct fastfuse_conn</c>: INIT as the init callback sees it (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeConn
{
    public uint ProtoMajor;
    public uint ProtoMinor;
    public ulong Capable;
    public ulong Want;
    public uint MaxWrite;
    public uint MaxReadahead;
    public uint MaxBackground;
    public uint CongestionThreshold;
    public uint TimeGran;
    public uint MaxStackDepth;
    public fixed uint Reserved[8];
}

/// <summary>
/// <c>struct fastfuse_ops</c>, in the header's order. Grow-only: a program built against an older header passes
/// a smaller size and the members it does not know stay null (ENOSYS or the runtime's default).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeOps
{
    // void *ud, const fastfuse_ctx *ctx come first in every request callback.
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, FuseEntryOut*, int> Lookup;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, FuseAttrOut*, int> Getattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, FuseSetattrIn*, FuseAttrOut*, int> Setattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, nuint*, int> Readlink;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, uint, uint, FuseEntryOut*, int> Mknod;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, uint, FuseEntryOut*, int> Mkdir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, int> Unlink;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, int> Rmdir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, byte*, nuint, FuseEntryOut*, int> Symlink;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, ulong, byte*, nuint, uint, int> Rename;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, byte*, nuint, FuseEntryOut*, int> Link;
    public delegate* unmanaged<void*, NativeCtx*, ulong, int, FuseOpenOut*, int> Open;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, nuint, void*, nuint*, int> Read;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, void*, nuint, uint, uint*, int> Write;
    public delegate* unmanaged<void*, NativeCtx*, ulong, FuseStatfsOut*, int> Statfs;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, uint, ulong, int> Release;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, int> Fsync;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, void*, nuint, int, int> Setxattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, void*, nuint, nuint*, int> Getxattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, void*, nuint, nuint*, int> Listxattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, int> Removexattr;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, ulong, int> Flush;
    public delegate* unmanaged<void*, NativeCtx*, ulong, int, FuseOpenOut*, int> Opendir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, DirectoryReply*, int> Readdir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, int> Releasedir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, int> Fsyncdir;
    public delegate* unmanaged<void*, NativeCtx*, ulong, int, int> Access;
    public delegate* unmanaged<void*, NativeCtx*, ulong, byte*, nuint, uint, int, FuseEntryOut*, FuseOpenOut*, int> Create;
    public delegate* unmanaged<void*, ulong, ulong, void> Forget;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, long, int, int> Fallocate;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, int, long*, int> Lseek;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, long, ulong, ulong, long, ulong, ulong, ulong*, int> CopyFileRange;
    public delegate* unmanaged<void*, NativeConn*, void> Init;
    public delegate* unmanaged<void*, void> Destroy;
    public delegate* unmanaged<void*, NativeCtx*, ulong, FuseLkIn*, FuseLkOut*, int> Getlk;
    public delegate* unmanaged<void*, NativeCtx*, ulong, FuseLkIn*, int, int> Setlk;
    public delegate* unmanaged<void*, NativeCtx*, ulong, uint, ulong*, int> Bmap;
    public delegate* unmanaged<void*, NativeCtx*, ulong, int> Syncfs;
    // ---- added in 0.2 ----
    public delegate* unmanaged<void*, nuint, FuseForgetOne*, void> ForgetMulti;
    public delegate* unmanaged<void*, NativeCtx*, ulong, uint, int, FuseEntryOut*, FuseOpenOut*, int> Tmpfile;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, int, uint, uint, FuseStatxOut*, int> Statx;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, ulong, uint, uint, uint*, int> Poll;
    public delegate* unmanaged<void*, NativeCtx*, ulong, ulong, uint, uint, ulong, void*, nuint, void*, nuint, int*, nuint*, int> Ioctl;
}
