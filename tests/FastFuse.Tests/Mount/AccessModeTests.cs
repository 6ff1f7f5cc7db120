using FastFuse.Kernel;
using FastFuse.Session;
using FastFuse.Tests.Infrastructure;
using static FastFuse.Tests.Infrastructure.MountTestUtil;
using static FastFuse.Tests.Infrastructure.Posix;

namespace FastFuse.Tests.Mount;

/// <summary>
/// Opens whose permission is not "read": running an execute-only program, writing a write-only file, O_PATH on a
/// file of mode 0000, all by a user who does not own the file. Each is asked of a copy on ext4 (the test's temporary
/// directory is on the root filesystem) and of one through the mount, and must get the same answer.
/// </summary>
public abstract class AccessModeTests(FsKind kind, TransportKind transport = TransportKind.DevFuse) : MountTestBase(kind, transport)
{
    private const uint Nobody = 65534;
    private const string Setpriv = "/usr/bin/setpriv";

    /// <summary>Run <paramref name="program"/> as uid/gid 65534 with no supplementary groups (a real process:
    /// execve checks the process's credentials, which setfsuid does not change). setpriv itself still holds root's
    /// capabilities when it calls execve (it would run a 0744 file), so a shell it starts, which has none, makes
    /// the execve that is checked.</summary>
    private static CommandResult RunAsNobody(string program) =>
        Command.Run(Setpriv, new[] { "--reuid", $"{Nobody}", "--regid", $"{Nobody}", "--clear-groups", "/bin/sh", "-c", "exec \"$0\"", program },
            TimeSpan.FromSeconds(30), cwd: "/");

    /// <summary>A copy of /bin/true owned by root with <paramref name="mode"/>; every descriptor on it closed (an
    /// open writer would make execve ETXTBSY).</summary>
    private static void InstallTrue(string path, int mode)
    {
        WriteFile(path, File.ReadAllBytes("/bin/true"));
        Assert.Equal(0, Err(chown(path, 0, 0)));
        Assert.Equal(0, Err(chmod(path, (uint)mode)));
    }

    [MountFact]
    public void ExecuteOnlyProgram_RunsForAnotherUser_AsOnExt4()
    {
        Assert.True(File.Exists(Setpriv), $"{Setpriv} (util-linux) runs the program as another user");
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (int mode in new[] { 0x49 /* 0111 */, 0x1 /* 0001 */ })
            {
                string name = $"true-{Convert.ToString(mode, 8)}";
                InstallTrue(ext4 + "/" + name, mode);
                InstallTrue(m[name], mode);
                var want = RunAsNobody(ext4 + "/" + name);
                Assert.True(want.ExitCode == 0, "on ext4: " + want.All);
                var got = RunAsNobody(m[name]);
                Assert.True(got.ExitCode == 0, $"mode {Convert.ToString(mode, 8)} through the mount: {got.All}");
                // Executing is not reading: the same user still may not read it, on either.
                Assert.Equal(Errno.EACCES, As(Nobody, Nobody, () => Err(open(ext4 + "/" + name, O_RDONLY, 0))));
                Assert.Equal(Errno.EACCES, As(Nobody, Nobody, () => Err(open(m[name], O_RDONLY, 0))));
            }
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void ReadableButNotExecutable_IsRefusedAsOnExt4()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            InstallTrue(ext4 + "/t", 0x1E4 /* 0744 */);
            InstallTrue(m["t"], 0x1E4);
            var want = RunAsNobody(ext4 + "/t");
            var got = RunAsNobody(m["t"]);
            Assert.NotEqual(0, want.ExitCode);
            Assert.Equal(want.ExitCode, got.ExitCode);
            Assert.Contains(got.Stderr, l => l.Contains("Permission denied"));
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void WriteOnlyFile_OpensForWriting_NotForReading()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (var path in new[] { ext4 + "/w", m["w"] })
            {
                WriteFile(path, "root's"u8.ToArray());
                Assert.Equal(0, Err(chmod(path, 0x92 /* 0222 */)));
                As(Nobody, Nobody, () =>
                {
                    int fd = Open(path, O_WRONLY | O_TRUNC);
                    try { PwriteAll(fd, "nobody's"u8.ToArray(), 0); }
                    finally { close(fd); }
                    Assert.Equal(Errno.EACCES, Err(open(path, O_RDONLY, 0)));
                    Assert.Equal(Errno.EACCES, Err(open(path, O_RDWR, 0)));
                });
                Assert.Equal("nobody's", File.ReadAllText(path));
            }
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }

    [MountFact]
    public void OPath_OnAFileOfMode0000_Opens()
    {
        using var m = Mount(NoCache);
        string ext4 = Ext4Dir();
        try
        {
            foreach (var path in new[] { ext4 + "/z", m["z"] })
            {
                WriteFile(path, "z"u8.ToArray());
                Assert.Equal(0, Err(chmod(path, 0)));
                As(Nobody, Nobody, () =>
                {
                    int fd = Open(path, O_PATH);
                    try { Assert.Equal(1L, Fstat(fd).Size); }
                    finally { close(fd); }
                    Assert.Equal(Errno.EACCES, Err(open(path, O_RDONLY, 0)));
                });
            }
        }
        finally { Directory.Delete(ext4, recursive: true); }
    }
}

public sealed class AccessModeTests_MemFs() : AccessModeTests(FsKind.MemFs);
public sealed class AccessModeTests_Loopback() : AccessModeTests(FsKind.Loopback);
public sealed class AccessModeTests_MemFs_FuseUring() : AccessModeTests(FsKind.MemFs, TransportKind.FuseUring);
public sealed class AccessModeTests_MemFs_Uring() : AccessModeTests(FsKind.MemFs, TransportKind.Uring);
public sealed class AccessModeTests_Loopback_FuseUring() : AccessModeTests(FsKind.Loopback, TransportKind.FuseUring);
public sealed class AccessModeTests_Loopback_Uring() : AccessModeTests(FsKind.Loopback, TransportKind.Uring);
public sealed class AccessModeTests_MemFs_Writeback() : AccessModeTests(FsKind.MemFs);
public sealed class AccessModeTests_Loopback_Writeback() : AccessModeTests(FsKind.Loopback);
