// Request extensions appended after the op payload (total_extlen): security contexts and supplementary groups.
using System.Runtime.InteropServices;

namespace FastFuse.Kernel;

/// <summary>struct fuse_secctx: one security context of the FUSE_SECURITY_CTX extension; the context's name
/// (NUL-terminated) and then its label follow.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSecctx
{
    /// <summary>sizeof(struct fuse_secctx).</summary>
    public const int StructSize = 8;

    /// <summary>Size of the context's label in bytes.</summary>
    public uint Size;
    /// <summary>Unused, zero.</summary>
    public uint Padding;
}

/// <summary>struct fuse_secctx_header: the header of the security context extension that CREATE, MKNOD, MKDIR and
/// SYMLINK carry with FUSE_SECURITY_CTX.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSecctxHeader
{
    /// <summary>sizeof(struct fuse_secctx_header).</summary>
    public const int StructSize = 8;

    /// <summary>Total size of the contexts, this header included.</summary>
    public uint Size;
    /// <summary>How many <see cref="FuseSecctx"/> follow.</summary>
    public uint NrSecctx;
}

/// <summary>struct fuse_ext_header: the header of one request extension, after the request's arguments
/// (<see cref="FuseInHeader.TotalExtlen"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseExtHeader
{
    /// <summary>sizeof(struct fuse_ext_header).</summary>
    public const int StructSize = 8;

    /// <summary>Total size of the extension, this header included.</summary>
    public uint Size;
    /// <see cref="ExtType"/>; values up to <see cref="ExtType.MaxNrSecctx"/> make it a security context header.
    public uint Type;
}

/// <summary>Fixed part of fuse_supp_groups; NrGroups uint group ids follow (flexible array).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSuppGroups
{
    /// <summary>sizeof(struct fuse_supp_groups) without its groups.</summary>
    public const int Size = 4;

    /// <summary>Offset of the groups[] flexible array.</summary>
    public const int GroupsOffset = 4;

    /// <summary>How many group ids follow.</summary>
    public uint NrGroups;
}
