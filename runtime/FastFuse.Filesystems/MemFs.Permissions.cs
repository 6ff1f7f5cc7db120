using FastFuse.Api;
using FastFuse.Kernel;

namespace FastFuse.Filesystems;

// Permission checks as the kernel makes them for a local filesystem (generic_permission): without the
// default_permissions mount option the kernel leaves them to us. Root passes read and write always, and execute
// when any execute bit is set (or on a directory). Otherwise the owner's, the group's (primary or supplementary)
// or the others' bits decide. With default_permissions the kernel has already checked and these agree.
public sealed partial class MemFs
{
    private const uint MayRead = 4, MayWrite = 2, MayExec = 1;
    private readonly CallerGroups _callerGroups = new();

    /// <summary>0 when the caller may <paramref name="want"/> (MayRead|MayWrite|MayExec) on <paramref name="n"/>, else
    /// EACCES; EPERM for any write to an immutable node (chattr +i), before the mode is looked at, as inode_permission
    /// answers it.</summary>
    private int Permitted(in RequestContext ctx, MemNode n, uint want)
    {
        if (want == 0) return Status.Ok;
        if ((want & MayWrite) != 0 && (n.Flags & FsImmutable) != 0) return Errno.EPERM;
        // Plain field reads: a racing chmod gives either the old or the new mode, as on a local filesystem.
        uint mode = n.Mode, uid = n.Uid, gid = n.Gid;
        if (ctx.Uid == 0)
        {
            if ((want & MayExec) == 0) return Status.Ok;
            return (mode & 0x49) != 0 || (mode & Linux.S_IFMT) == Linux.S_IFDIR ? Status.Ok : Errno.EACCES;
        }
        uint bits;
        if (ctx.Uid == uid) bits = (mode >> 6) & 7;
        else if ((((mode >> 3) ^ mode) & want) == 0) bits = mode & 7;  // group and others agree: membership cannot matter
        else bits = _callerGroups.IsMember(in ctx, gid) ? (mode >> 3) & 7 : mode & 7;
        return (bits & want) == want ? Status.Ok : Errno.EACCES;
    }

    /// <summary>The first of two checks that failed (the VFS checks the source directory before the target).</summary>
    private static int Either(int first, int second) => first != 0 ? first : second;

    /// <summary>What opening with <paramref name="flags"/> needs: read and/or write by O_ACCMODE, write for O_TRUNC;
    /// execute (not read) for the kernel's open for execve, so an execute-only file runs as on ext4.</summary>
    private static uint OpenWants(int flags)
    {
        if ((flags & (FuseConstants.OpenFlagExec | 3)) == FuseConstants.OpenFlagExec) return MayExec;
        uint want = (flags & 3) switch { 0 => MayRead, 1 => MayWrite, _ => MayRead | MayWrite };
        if ((flags & O_TRUNC) != 0) want |= MayWrite;
        return want;
    }
}
