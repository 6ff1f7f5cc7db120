using FastFuse.Api;
using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Notifications, observed through the kernel's caches with ordinary syscalls. The mount caches entries,
/// attributes and negative lookups for an hour, and the test changes MemFs "behind the kernel's back" (calling
/// the filesystem directly, as a network filesystem learns of a change made elsewhere): the change is invisible
/// until the notification, and visible right after it.
/// </summary>
public abstract class NotifyTests(TransportKind transport)
{
    private const string Cached = "entry_timeout=3600,attr_timeout=3600,negative_timeout=3600";
    private static readonly RequestContext Root = RequestContext.ForCaller(0, 0);

    private MountedFs Mount() => MountedFs.MemFs(Cached, null, new SessionOptions { Threads = 2, Transport = transport });

    private static MemFs Fs(MountedFs m) => (MemFs)m.FileSystem;

    /// <summary>The node id of a name in the root, looked up directly (the lookup is given back at once).</summary>
    private static ulong NodeOf(MountedFs m, string name)
    {
        FuseEntryOut e = default;
        Assert.Equal(0, Fs(m).Lookup(in Root, FuseConstants.RootId, System.Text.Encoding.UTF8.GetBytes(name), ref e));
        Fs(m).Forget(e.Nodeid, 1);
        return e.Nodeid;
    }

    /// <summary>The size the kernel has cached (statx asking for the size only: a read invalidates the cached
    /// atime, and asking for it would make the kernel fetch every attribute again).</summary>
    private static unsafe long CachedSize(string path)
    {
        byte* b = stackalloc byte[256];
        Assert.Equal(0, Err(statx(AT_FDCWD, path, 0, 0x200 /* STATX_SIZE */, b)));
        return *(long*)(b + 40);   // stx_size
    }

    private static byte[] PreadAll(int fd, int max)
    {
        var buf = new byte[max];
        int n = Pread(fd, buf, 0);
        return buf[..n];
    }

    [MountFact]
    public void InvalInode_MakesAChangedFileVisible_AttributesAndData()
    {
        using var m = Mount();
        WriteFile(m["f"], "old-data"u8);
        int fd = Open(m["f"], O_RDONLY);
        try
        {
            Assert.Equal("old-data"u8.ToArray(), PreadAll(fd, 64));       // now in the page cache
            ulong node = NodeOf(m, "f");
            Assert.Equal(0, Fs(m).Write(in Root, node, 0, 0, "NEW-DATA, longer"u8, 0, 0, out _));
            // Not before: the kernel still has the old size and the old pages.
            Assert.Equal(8L, CachedSize(m["f"]));
            Assert.Equal("old-data"u8.ToArray(), PreadAll(fd, 64));
            // Attributes only (offset -1): the size is new; then the data.
            Assert.Equal(0, m.Session.Notify.InvalidateInode(node, -1));
            Assert.Equal(16L, CachedSize(m["f"]));
            Assert.Equal(0, m.Session.Notify.InvalidateInode(node, 0, 0));
            Assert.Equal("NEW-DATA, longer"u8.ToArray(), PreadAll(fd, 64));
            // An inode the kernel does not have: its answer reaches the caller.
            Assert.Equal(Errno.ENOENT, m.Session.Notify.InvalidateInode(0x7777_0000_0001));
        }
        finally { close(fd); }
        Assert.True(m.Session.Stats.NotificationsSent >= 2);
        Assert.Equal(1, m.Session.Stats.NotificationsRefused);
    }

    [MountFact]
    public void InvalEntry_ForgetsANegativeEntry_AndExpireOnlyToo()
    {
        using var m = Mount();
        Assert.Equal(Errno.ENOENT, TryStat(m["late"], out _));           // a cached negative entry now
        FuseEntryOut e = default;
        Assert.Equal(0, Fs(m).Mknod(in Root, FuseConstants.RootId, "late"u8, Linux.S_IFREG | 0x1A4, 0, 0, ref e));
        Fs(m).Forget(e.Nodeid, 1);
        Assert.Equal(Errno.ENOENT, TryStat(m["late"], out _));           // not before
        Assert.Equal(0, m.Session.Notify.InvalidateEntry(FuseConstants.RootId, "late"u8));
        Assert.Equal(0, TryStat(m["late"], out _));

        // expire_only: the cached positive entry of a renamed file is marked expired, the next lookup asks again.
        Assert.Equal(0, Fs(m).Rename(in Root, FuseConstants.RootId, "late"u8, FuseConstants.RootId, "later"u8, 0));
        Assert.Equal(0, TryStat(m["late"], out _));                      // still cached
        Assert.Equal(0, m.Session.Notify.InvalidateEntry(FuseConstants.RootId, "late"u8, expireOnly: true));
        Assert.Equal(Errno.ENOENT, TryStat(m["late"], out _));
        Assert.Equal(0, TryStat(m["later"], out _));
        Assert.Equal(Errno.ENOENT, m.Session.Notify.InvalidateEntry(0x7777_0000_0001, "x"u8));   // no such parent
        Assert.Equal(Errno.EINVAL, m.Session.Notify.InvalidateEntry(FuseConstants.RootId, ""u8));
    }

    [MountFact]
    public void IncEpoch_StalesEveryEntry_ResendAndPruneAnswer()
    {
        using var m = Mount();
        Assert.Equal(Errno.ENOENT, TryStat(m["e1"], out _));
        Assert.Equal(Errno.ENOENT, TryStat(m["e2"], out _));
        foreach (var name in new[] { "e1", "e2" })
        {
            FuseEntryOut e = default;
            Assert.Equal(0, Fs(m).Mknod(in Root, FuseConstants.RootId, System.Text.Encoding.UTF8.GetBytes(name), Linux.S_IFREG | 0x1A4, 0, 0, ref e));
            Fs(m).Forget(e.Nodeid, 1);
        }
        Assert.Equal(Errno.ENOENT, TryStat(m["e1"], out _));
        Assert.Equal(0, m.Session.Notify.IncrementEpoch());                // 7.44: one message for every entry
        Assert.Equal(0, TryStat(m["e1"], out _));
        Assert.Equal(0, TryStat(m["e2"], out _));
        Assert.Equal(0, m.Session.Notify.Resend());                        // 7.40: nothing is pending, nothing resent
        // PRUNE is 7.45 as of Linux 6.19's header (6.18 here takes it: a FORGET follows); a kernel without it says EINVAL.
        ulong node = NodeOf(m, "e1");
        long forgets = m.Session.Stats.Forgets;
        int pruned = m.Session.Notify.Prune(new[] { node });
        Assert.True(pruned is 0 or Errno.EINVAL, $"prune: {Errno.Name(pruned)}");
        if (pruned == 0)
        {
            // Taken: the unused inode is dropped, and its FORGET comes.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (Interlocked.Read(ref m.Session.Stats.Forgets) == forgets && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Assert.True(Interlocked.Read(ref m.Session.Stats.Forgets) > forgets, "pruned, but no FORGET came");
        }
    }

    [MountFact]
    public void Delete_MakesARemovedNameDisappear()
    {
        using var m = Mount();
        WriteFile(m["gone"], "x"u8);
        Assert.Equal(0, TryStat(m["gone"], out _));
        ulong node = NodeOf(m, "gone");
        Assert.Equal(0, Fs(m).Unlink(in Root, FuseConstants.RootId, "gone"u8));
        Assert.Equal(0, TryStat(m["gone"], out _));                      // the kernel still has it
        Assert.Equal(0, m.Session.Notify.Delete(FuseConstants.RootId, node, "gone"u8));
        Assert.Equal(Errno.ENOENT, TryStat(m["gone"], out _));
    }

    [MountFact]
    public void Store_MakesDataReadable_WithoutAReadReachingTheFilesystem()
    {
        using var m = Mount();
        WriteFile(m["s"], new byte[16384]);
        int fd = Open(m["s"], O_RDONLY);
        try
        {
            ulong node = NodeOf(m, "s");
            var data = Random(16384, 5);
            long readsBefore = m.Session.Stats.CountOf(Opcode.Read);
            Assert.Equal(0, m.Session.Notify.Store(node, 0, data));
            Assert.Equal(data, PreadAll(fd, 16384));
            Assert.Equal(readsBefore, m.Session.Stats.CountOf(Opcode.Read));
            // A part of a page, at an offset.
            Assert.Equal(0, m.Session.Notify.Store(node, 10000, "tail"u8));
            var four = new byte[4];
            Assert.Equal(4, Pread(fd, four, 10000));
            Assert.Equal("tail"u8.ToArray(), four);
            Assert.Equal(readsBefore, m.Session.Stats.CountOf(Opcode.Read));
        }
        finally { close(fd); }
    }

    [MountFact]
    public void Retrieve_ReturnsWhatTheCacheHolds()
    {
        using var m = Mount();
        var content = Random(12288, 9);
        WriteFile(m["r"], content);
        int fd = Open(m["r"], O_RDONLY);
        try
        {
            Assert.Equal(content, PreadAll(fd, 12288));
            ulong node = NodeOf(m, "r");
            var all = m.Session.Notify.RetrieveAsync(node, 0, 12288);
            Assert.True(all.Wait(TimeSpan.FromSeconds(10)), "no NOTIFY_REPLY");
            Assert.Equal(0, all.Result.Errno);
            Assert.True(content.AsSpan().SequenceEqual(all.Result.Data),
                $"retrieved {all.Result.Data.Length} bytes at {all.Result.Offset}: {Convert.ToHexString(all.Result.Data.AsSpan(0, Math.Min(16, all.Result.Data.Length)))}; " +
                $"the file starts {Convert.ToHexString(content.AsSpan(0, 16))}");
            var part = m.Session.Notify.RetrieveAsync(node, 5000, 100);
            Assert.True(part.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal((0, 5000L), (part.Result.Errno, part.Result.Offset));
            Assert.Equal(content.AsSpan(5000, 100).ToArray(), part.Result.Data);
            var none = m.Session.Notify.RetrieveAsync(0x7777_0000_0001, 0, 10);
            Assert.True(none.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal(Errno.ENOENT, none.Result.Errno);
        }
        finally { close(fd); }
    }

    [MountFact]
    public void FromInsideAHandler_AndDuringAndAfterUnmount_NeverAnErrorOrACrash()
    {
        var fs = new NotifyFromReadFs();
        var m = new MountedFs(fs, Cached, new SessionOptions { Threads = 2, Transport = transport });
        fs.Session = m.Session;
        bool disposed = false;
        try
        {
            Assert.Equal(0, TryStat(m["a"], out _));
            Assert.Equal(0, TryStat(m["b"], out _));                     // cached for an hour
            long lookups = fs.Lookups;
            Assert.Equal(0, TryStat(m["b"], out _));
            Assert.Equal(lookups, fs.Lookups);
            Assert.Equal("a"u8.ToArray(), File.ReadAllBytes(m["a"]));     // the READ handler invalidates b
            Assert.Equal(0, fs.InsideResult);
            Assert.Equal(0, TryStat(m["b"], out _));
            Assert.Equal(lookups + 1, fs.Lookups);

            // Notifications from two threads while the session unmounts and is disposed.
            var stop = new ManualResetEventSlim();
            var results = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
            var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
            {
                while (!stop.IsSet) results.AddOrUpdate(m.Session.Notify.InvalidateInode(FuseConstants.RootId, -1), 1, (_, n) => n + 1);
            })).ToArray();
            foreach (var t in threads) t.Start();
            Thread.Sleep(20);
            m.Dispose();
            disposed = true;
            Thread.Sleep(20);
            stop.Set();
            foreach (var t in threads) t.Join();
            // The kernel's answers while it unmounts (ENOENT: the inode is gone already; ENODEV: the connection),
            // then ENOTCONN: the session has closed, the notification is dropped without a write.
            Assert.All(results.Keys, r => Assert.Contains(r, new[] { 0, Errno.ENOENT, Errno.ENOTCONN, Errno.ENODEV }));
            Assert.Contains(Errno.ENOTCONN, results.Keys);
            Assert.Equal(Errno.ENOTCONN, m.Session.Notify.InvalidateEntry(FuseConstants.RootId, "b"u8));
            Assert.True(m.Session.Stats.NotificationsDropped > 0);
            Assert.Equal(0, m.Session.Stats.ReplyOtherErrors);
        }
        finally
        {
            if (!disposed) m.Dispose();
        }
    }

    /// <summary>Two files, "a" and "b"; reading "a" sends inval_entry for "b" from inside the READ handler.</summary>
    private sealed class NotifyFromReadFs : IRawFileSystem
    {
        public FuseSession? Session;
        public long Lookups;
        public int InsideResult = -1;

        public int Lookup(in RequestContext ctx, ulong parent, ReadOnlySpan<byte> name, ref FuseEntryOut entry)
        {
            Interlocked.Increment(ref Lookups);
            if (parent != FuseConstants.RootId || name.Length != 1 || (name[0] != (byte)'a' && name[0] != (byte)'b')) return Errno.ENOENT;
            entry.Nodeid = name[0] == (byte)'a' ? 2UL : 3UL;
            entry.EntryValid = entry.AttrValid = 3600;
            Fill(entry.Nodeid, ref entry.Attr);
            return 0;
        }

        public int Getattr(in RequestContext ctx, ulong nodeId, ulong? fh, ref FuseAttrOut attr)
        {
            attr.AttrValid = 3600;
            Fill(nodeId, ref attr.Attr);
            return 0;
        }

        private static void Fill(ulong node, ref FuseAttr a)
        {
            a.Ino = node;
            a.Mode = node == FuseConstants.RootId ? Linux.S_IFDIR | 0x1ED : Linux.S_IFREG | 0x1A4;
            a.Nlink = 1;
            a.Size = node == FuseConstants.RootId ? 0UL : 1UL;
        }

        public int Open(in RequestContext ctx, ulong nodeId, int flags, ref FuseOpenOut open) => 0;

        public int Read(in RequestContext ctx, ulong nodeId, ulong fh, long offset, int size, ref DataReply data)
        {
            if (nodeId == 2 && offset == 0) InsideResult = Session!.Notify.InvalidateEntry(FuseConstants.RootId, "b"u8);
            if (offset == 0) data.Append(nodeId == 2 ? "a"u8 : "b"u8);
            return 0;
        }
    }
}

public sealed class NotifyTests_DevFuse() : NotifyTests(TransportKind.DevFuse);
public sealed class NotifyTests_Uring() : NotifyTests(TransportKind.Uring);
public sealed class NotifyTests_FuseUring() : NotifyTests(TransportKind.FuseUring);
