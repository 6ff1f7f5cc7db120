using System.Text;
using FastFuse.Kernel;
using FastFuse.Nodes;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Nodes;

/// <summary>
/// The node API through the kernel: persistent and dynamic nodes, lookups answered from the tree, forgets that free
/// dynamic nodes, file handles as objects, notifications from nodes, and every capability that changes the tree.
/// </summary>
public abstract class NodeApiTests(TransportKind transport)
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private sealed class Tree : IDisposable
    {
        public readonly Node Root = new(Linux.S_IFDIR | 0x1ED);
        public readonly Node Static = new(Linux.S_IFDIR | 0x1ED);
        public readonly ContentFile Persistent = new("persistent\n"u8.ToArray());
        public readonly DynamicDir Dyn = new();
        public readonly MemDir Mem = new();
        public readonly ContentFile File = new("old-data"u8.ToArray());
        public readonly NodeFileSystem Fs;
        public readonly MountedFs M;

        public Tree(TransportKind transport, NodeFileSystemOptions options)
        {
            Root.AddChild("static", Static);
            Static.AddChild("a.txt", Persistent);
            Root.AddChild("dyn", Dyn);
            Root.AddChild("mem", Mem);
            Root.AddChild("f", File);
            Fs = new NodeFileSystem(Root, options);
            M = new MountedFs(Fs, "", new SessionOptions { Threads = 2, Transport = transport });
        }

        public string this[string relative] => M[relative];
        public void Dispose() => M.Dispose();
    }

    private Tree Mount(TimeSpan? timeout = null) => new(transport, new NodeFileSystemOptions
    {
        EntryTimeout = timeout ?? TimeSpan.Zero,
        AttrTimeout = timeout ?? TimeSpan.Zero,
        NegativeTimeout = timeout ?? TimeSpan.Zero,
    });

    /// <summary>Ask the kernel to drop its unused inodes <paramref name="nodes"/> (FUSE_NOTIFY_PRUNE; the whole dentry
    /// and inode cache where the kernel does not take it), then wait for <paramref name="done"/>.</summary>
    private static void Forget(Tree t, Func<bool> done, params ulong[] nodes)
    {
        int r = t.M.Session.Notify.Prune(nodes);
        if (r != 0) File.WriteAllText("/proc/sys/vm/drop_caches", "2");
        Assert.True(MountTestUtil.Eventually(done), $"no forget came (prune: {Errno.Name(r)})");
    }

    [MountFact]
    public void PersistentNodes_AreListedReadAndStat_AsAddedUpFront()
    {
        using var t = Mount();
        Assert.Equal("persistent\n"u8.ToArray(), ReadFile(t["static/a.txt"]));
        var names = ReadDir(t.M.Path).Select(e => (e.Name, e.Type)).ToArray();
        Assert.Equal(new[] { (".", DT_DIR), ("..", DT_DIR), ("static", DT_DIR), ("dyn", DT_DIR), ("mem", DT_DIR), ("f", DT_REG) }, names);
        var st = Stat(t["static/a.txt"]);
        Assert.Equal(S_IFREG | 0x1A4u, st.Mode);
        Assert.Equal(11, st.Size);
        Assert.Equal(t.Persistent.Ino, st.Ino);
        Assert.Equal(1ul, Stat(t.M.Path).Ino);
        Assert.Equal(2u, Stat(t["static"]).Nlink);
        Assert.Equal(Errno.ENOENT, TryStat(t["static/missing"], out _));
        Assert.Equal(Errno.ENOTDIR, TryStat(t["f/x"], out _));
    }

    [MountFact]
    public void DynamicLookup_AskedOnce_ThenAnsweredFromTheTree()
    {
        using var t = Mount();
        long lookups = t.M.Session.Stats.CountOf(Opcode.Lookup);
        Assert.Equal(0, TryStat(t["dyn/d1"], out var st));
        Assert.Equal(2, st.Size);                                          // the content is its name
        Assert.Equal(0, TryStat(t["dyn/d1"], out _));
        Assert.Equal("d1"u8.ToArray(), ReadFile(t["dyn/d1"]));
        Assert.True(t.M.Session.Stats.CountOf(Opcode.Lookup) - lookups >= 3, "entry_timeout 0: each stat looks up");
        Assert.Equal(1, t.Dyn.Lookups);                                   // the rest came from the tree
        Assert.Equal(1, t.Dyn.ChildCount);
        Assert.Same(t.Dyn.Made.Single(), t.Dyn.GetChild("d1"));
        Assert.Equal(Errno.ENOENT, TryStat(t["dyn/x1"], out _));
        Assert.Equal(2, t.Dyn.Lookups);
        Assert.Equal(1, t.Dyn.ChildCount);                                // a miss adds nothing
    }

    [MountFact]
    public void Forget_FreesDynamicNodes_PersistentOnesStay()
    {
        using var t = Mount(Hour);
        Assert.Equal(0, TryStat(t["dyn/d1"], out var first));
        Assert.Equal(0, TryStat(t["static/a.txt"], out _));
        var dynamic = t.Dyn.Made.Single();
        ulong dynId = dynamic.NodeId, persistentId = t.Persistent.NodeId;
        Assert.NotEqual(0ul, dynId);
        Assert.NotEqual(0ul, persistentId);
        int known = t.Fs.KnownNodes;
        Assert.Same(dynamic, t.Fs.GetNode(dynId));

        Forget(t, () => dynamic.Forgets == 1 && t.Persistent.Forgets == 1, dynId, persistentId);
        Assert.Equal(0ul, dynamic.NodeId);
        Assert.Null(t.Fs.GetNode(dynId));                                 // the id is freed, its generation moved on
        Assert.True(t.Fs.KnownNodes <= known - 2, $"{t.Fs.KnownNodes} nodes known after two forgets, {known} before");
        Assert.Equal(0, t.Dyn.ChildCount);                                // the dynamic node left the tree
        Assert.Same(t.Persistent, t.Static.GetChild("a.txt"));            // the persistent one stayed

        // Looked up again: the dynamic name is asked for anew (a new node), the persistent one comes from the tree.
        Assert.Equal(0, TryStat(t["dyn/d1"], out var again));
        Assert.Equal(2, t.Dyn.Lookups);
        Assert.NotSame(dynamic, t.Dyn.GetChild("d1"));
        Assert.Equal(0, TryStat(t["static/a.txt"], out var persistentAgain));
        Assert.Equal(t.Persistent.Ino, persistentAgain.Ino);
        Assert.NotEqual(0ul, t.Persistent.NodeId);
        Assert.NotEqual(persistentId, t.Persistent.NodeId);               // a new node id, the same inode number
        Assert.Equal(first.Size, again.Size);
    }

    [MountFact]
    public void FileHandles_AreObjects_EachReleasedOnce()
    {
        using var t = Mount();
        int a = Open(t["f"], O_RDONLY), b = Open(t["f"], O_RDONLY);
        var buf = new byte[64];
        try
        {
            Assert.Equal(8, Pread(a, buf, 0));
            Assert.Equal(2, t.File.Handles.Count);
            Assert.Equal(2, t.Fs.OpenHandles);
            Assert.Equal(0, Err(fsync(b)));
        }
        finally
        {
            Close(a);
            Close(b);
        }
        // RELEASE comes after close, asynchronously; a handle leaves the table just before its Release runs.
        var handles = t.File.Handles.ToArray();
        Assert.True(MountTestUtil.Eventually(() => handles.All(h => Volatile.Read(ref h.Releases) != 0)), "not every handle was released");
        Assert.Equal(0, t.Fs.OpenHandles);
        Assert.NotSame(handles[0], handles[1]);
        Assert.All(handles, h => Assert.Equal(1, h.Releases));
        Assert.All(handles, h => Assert.Equal(1, h.Flushes));
        Assert.Equal(1, handles.Sum(h => h.Fsyncs));
        Assert.True(handles.Sum(h => h.Reads) >= 1);
        // Writing is refused by the node's Open.
        Assert.Equal(Errno.EACCES, OpenErr(t["f"], O_WRONLY));
        Assert.Equal(2, t.File.Handles.Count);
    }

    [MountFact]
    public void NotifyContent_MakesChangedDataVisible()
    {
        using var t = Mount(Hour);
        int fd = Open(t["f"], O_RDONLY);
        try
        {
            var buf = new byte[64];
            Assert.Equal("old-data", Encoding.UTF8.GetString(buf, 0, Pread(fd, buf, 0)));   // in the page cache now
            t.File.Content = "NEW-DATA, longer"u8.ToArray();
            Assert.Equal("old-data", Encoding.UTF8.GetString(buf, 0, Pread(fd, buf, 0)));   // not before
            Assert.Equal(0, t.File.NotifyContent());
            Assert.Equal("NEW-DATA, longer", Encoding.UTF8.GetString(buf, 0, Pread(fd, buf, 0)));
            Assert.Equal(16, Stat(t["f"]).Size);
        }
        finally { Close(fd); }
        // A node the kernel does not hold has nothing cached.
        Assert.Equal(Errno.ENOENT, new ContentFile([]).NotifyContent());
    }

    [MountFact]
    public void NotifyEntry_AndNotifyDelete_ChangeWhatTheKernelHasCached()
    {
        using var t = Mount(Hour);
        Assert.Equal(Errno.ENOENT, TryStat(t["static/late"], out _));    // cached as missing for an hour
        var late = new ContentFile("late"u8.ToArray());
        Assert.True(t.Static.AddChild("late", late));
        Assert.Equal(Errno.ENOENT, TryStat(t["static/late"], out _));    // not before
        Assert.Equal(0, t.Static.NotifyEntry("late"));
        Assert.Equal(0, TryStat(t["static/late"], out _));
        Assert.Equal("late"u8.ToArray(), ReadFile(t["static/late"]));

        Assert.Same(late, t.Static.RemoveChild("late"));
        Assert.Equal(0, TryStat(t["static/late"], out _));               // the kernel still has it
        Assert.Equal(0, t.Static.NotifyDelete("late", late));
        Assert.Equal(Errno.ENOENT, TryStat(t["static/late"], out _));
        Assert.False(t.Static.AddChild("a.txt", new ContentFile([])));   // a taken name changes nothing
    }

    [MountFact]
    public void ChangingCapabilities_CreateWriteMkdirRenameSymlinkUnlinkRmdirSetattrXattrs()
    {
        using var t = Mount();
        string mem = t["mem"];
        WriteFile(Path.Combine(mem, "f1"), "hello node api"u8);
        Assert.Equal("hello node api"u8.ToArray(), ReadFile(Path.Combine(mem, "f1")));
        Assert.IsType<MemFile>(t.Mem.GetChild("f1"));
        Assert.Equal(0, Err(truncate(Path.Combine(mem, "f1"), 5)));
        Assert.Equal("hello"u8.ToArray(), ReadFile(Path.Combine(mem, "f1")));
        Assert.Equal(0, Err(chmod(Path.Combine(mem, "f1"), 0x180)));
        Assert.Equal(0x180u, Stat(Path.Combine(mem, "f1")).Perm);

        Assert.Equal(0, Err(mkdir(Path.Combine(mem, "sub"), 0x1ED)));
        Assert.Equal(0, Err(rename(Path.Combine(mem, "f1"), Path.Combine(mem, "sub/f2"))));
        Assert.Null(t.Mem.GetChild("f1"));
        Assert.IsType<MemFile>(t.Mem.GetChild("sub")!.GetChild("f2"));
        Assert.Equal("hello"u8.ToArray(), ReadFile(Path.Combine(mem, "sub/f2")));
        Assert.Equal(Errno.ENOTEMPTY, Err(rmdir(Path.Combine(mem, "sub"))));

        Assert.Equal(0, Err(symlink("sub/f2", Path.Combine(mem, "ln"))));
        Assert.Equal("sub/f2", ReadLink(Path.Combine(mem, "ln")));
        Assert.Equal("hello"u8.ToArray(), ReadFile(Path.Combine(mem, "ln")));

        WriteFile(Path.Combine(mem, "x"), "x"u8);
        Assert.Equal(0, Err(renameat2(AT_FDCWD, Path.Combine(mem, "x"), AT_FDCWD, Path.Combine(mem, "ln"), RENAME_EXCHANGE)));
        Assert.IsType<MemFile>(t.Mem.GetChild("ln"));
        Assert.IsType<MemLink>(t.Mem.GetChild("x"));
        Assert.Equal("sub/f2", ReadLink(Path.Combine(mem, "x")));

        Assert.Equal(0, SetXattr(Path.Combine(mem, "ln"), "user.k", "v1"u8));
        Assert.Equal("v1"u8.ToArray(), GetXattr(Path.Combine(mem, "ln"), "user.k", 64).Value);
        Assert.Equal(new[] { "user.k" }, ListXattr(Path.Combine(mem, "ln"), 256).Names);
        Assert.Equal(0, Err(removexattr(Path.Combine(mem, "ln"), "user.k")));
        Assert.Equal(Errno.ENODATA, GetXattr(Path.Combine(mem, "ln"), "user.k", 64).Errno);
        // A node without xattr capabilities answers as a file without extended attributes does.
        Assert.Equal(Errno.ENODATA, GetXattr(t["f"], "user.k", 64).Errno);
        Assert.Equal(Errno.EOPNOTSUPP, SetXattr(t["f"], "user.k", "v"u8));

        Assert.Equal(0, Err(unlink(Path.Combine(mem, "sub/f2"))));
        Assert.Equal(0, Err(rmdir(Path.Combine(mem, "sub"))));
        Assert.Equal(new[] { "ln", "x" }, ReadDir(mem).Select(e => e.Name).Where(n => n is not "." and not "..").Order().ToArray());
        // A directory without the capability: ENOSYS, or EPERM for create (the kernel would give up CREATE for good).
        Assert.Equal(Errno.ENOSYS, Err(mkdir(t["static/new"], 0x1ED)));
        Assert.Equal(Errno.EPERM, OpenErr(t["static/new"], O_WRONLY | O_CREAT));
        Assert.Equal(0, t.M.Session.Stats.ReplyOtherErrors);
    }

    [MountFact]
    public void Locks_ReachTheOpensHandle_WhenTheFilesystemKeepsThem()
    {
        var root = new Node(Linux.S_IFDIR | 0x1ED);
        var file = new LockFile();
        root.AddChild("l", file);
        using var m = new MountedFs(new NodeFileSystem(root, new NodeFileSystemOptions { Locks = true }), "",
            new SessionOptions { Threads = 2, Transport = transport });
        int fd = Open(m["l"], O_RDWR);
        try
        {
            Assert.Equal(0, Lock(fd, F_SETLK, F_WRLCK, 0, 10));
            Assert.Equal(Errno.EAGAIN, Lock(fd, F_SETLK, F_RDLCK, 20, 5));
            var lk = new Flock(F_RDLCK, 0, 10);
            Assert.Equal(0, Err(fcntl(fd, F_GETLK, ref lk)));
            Assert.Equal((F_WRLCK, 0L, 10L), (lk.Type, lk.Start, lk.Len));
            Assert.True(lk.Pid > 0, $"pid {lk.Pid}");
        }
        finally { Close(fd); }
        var h = Assert.Single(file.Handles);
        var sets = h.Sets.ToArray();
        Assert.Equal(((uint)F_WRLCK, 0ul, 9ul, false), sets[0]);
        Assert.Equal(((uint)F_RDLCK, 20ul, 24ul, false), sets[1]);
        Assert.Equal(1, h.Gets);
    }

    [MountFact]
    public void ReadOnlyFileSystem_AnswersEROFS_WithoutAskingNodes()
    {
        var root = new MemDir();
        root.AddChild("f", new MemFile(0x1A4));
        using var m = new MountedFs(new NodeFileSystem(root, new NodeFileSystemOptions { ReadOnly = true }), "",
            new SessionOptions { Threads = 2, Transport = transport });
        Assert.Equal(Errno.EROFS, OpenErr(m["f"], O_WRONLY));
        Assert.Equal(Errno.EROFS, OpenErr(m["g"], O_WRONLY | O_CREAT));
        Assert.Equal(Errno.EROFS, Err(mkdir(m["d"], 0x1ED)));
        Assert.Equal(Errno.EROFS, Err(unlink(m["f"])));
        Assert.Equal(Errno.EROFS, Err(rename(m["f"], m["g"])));
        Assert.Equal(Errno.EROFS, Err(symlink("f", m["l"])));
        Assert.Equal(Errno.EROFS, Err(truncate(m["f"], 0)));
        Assert.Equal(Errno.EROFS, SetXattr(m["f"], "user.k", "v"u8));
        Assert.Equal(Errno.EROFS, Err(access(m["f"], W_OK)));
        Assert.Equal(0, Err(access(m["f"], R_OK)));
        Assert.Equal(new[] { "f" }, ReadDir(m.Path).Select(e => e.Name).Where(n => n is not "." and not "..").ToArray());
    }
}

public sealed class NodeApiTests_DevFuse() : NodeApiTests(TransportKind.DevFuse);
public sealed class NodeApiTests_Uring() : NodeApiTests(TransportKind.Uring);
public sealed class NodeApiTests_FuseUring() : NodeApiTests(TransportKind.FuseUring);
