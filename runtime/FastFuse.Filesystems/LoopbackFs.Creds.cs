using System.Runtime.InteropServices;
using FastFuse.Api;
using FastFuse.Filesystems.Native;

namespace FastFuse.Filesystems;

// Acting as the caller. Without default_permissions the kernel leaves permission checks to the filesystem; a
// loopback that runs as root would then let anyone do anything. Instead each request that touches the source
// runs, on its worker thread, with the caller's fsuid, fsgid and supplementary groups (setfsuid/setfsgid and the
// raw setgroups syscall change only the calling thread's credentials). The source's own filesystem then applies
// exactly the rules it applies to the caller outside the mount: mode bits, ACLs, sticky directories, setgid
// inheritance, who may chown, O_NOATIME, protected_hardlinks… and new files belong to the caller. A non-zero
// fsuid also drops the fs capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN…) for the duration; setting it
// back to 0 restores them. This is what libfuse's passthrough_hp and virtiofsd do.
public sealed partial class LoopbackFs
{
    private readonly bool _switchCreds;
    private readonly uint[] _daemonGroups = [];
    private readonly CallerGroups _callerGroups = new();

    /// <summary>Restores the worker thread's credentials when disposed.</summary>
    private readonly struct CredScope : IDisposable
    {
        private readonly LoopbackFs? _fs;
        private readonly bool _uid, _groups;

        public CredScope(LoopbackFs fs, bool uid, bool groups)
        {
            _fs = fs;
            _uid = uid;
            _groups = groups;
        }

        public void Dispose()
        {
            if (_fs is null) return;
            // The restoring calls must not clobber the errno of the call the scope was opened for.
            int errno = Marshal.GetLastPInvokeError();
            if (_uid) LoopSys.Setfsuid(0);            // first: brings the fs capabilities back
            LoopSys.Setfsgid(0);
            if (_groups) LoopSys.SetThreadGroups(_fs._daemonGroups);
            Marshal.SetLastPInvokeError(errno);
        }
    }

    private static uint[] ReadDaemonGroups()
    {
        unsafe
        {
            int n = LoopSys.Getgroups(0, null);
            if (n <= 0) return [];
            var g = new uint[n];
            // Safe: g is pinned and holds n entries, the size getgroups was told.
            fixed (uint* p = g) n = LoopSys.Getgroups(n, p);
            return n <= 0 ? [] : g.AsSpan(0, n).ToArray();
        }
    }

    /// <summary>Run the rest of the request as the caller (until the returned scope is disposed).</summary>
    private CredScope Become(in RequestContext ctx)
    {
        if (!_switchCreds || (ctx.Uid == 0 && ctx.Gid == 0)) return default;
        bool uid = ctx.Uid != 0;
        bool groups = false;
        if (uid)
        {
            // Root keeps its capabilities and needs no groups; anyone else gets exactly the caller's groups.
            var g = _callerGroups.Of(in ctx);
            groups = LoopSys.SetThreadGroups(g) == 0;
        }
        LoopSys.Setfsgid(ctx.Gid);
        if (uid) LoopSys.Setfsuid(ctx.Uid);
        return new CredScope(this, uid, groups);
    }
}
