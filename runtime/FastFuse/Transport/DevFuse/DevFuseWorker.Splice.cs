using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

// READ replies whose data comes from a file descriptor (loopback): file → pipe → /dev/fuse with splice, the
// reply header written into the pipe first. One pipe per worker, made on first use and reused. Where splice
// cannot be used (no kernel channel, pipe too small, a short splice), the data is read with pread into the
// pinned reply buffer and goes out by writev; both paths are counted in Stats.
public sealed unsafe partial class DevFuseWorker
{
    private const uint SPLICE_F_MOVE = 1;
    private const uint SPLICE_F_NONBLOCK = 2;
    private int _pipeRead = -1;
    private int _pipeWrite = -1;
    private int _pipeSize;
    private bool _pipeFailed;

    private void SendFile(RequestSlot s)
    {
        // A pipe holds pipeSize/4096 buffers: the header takes one, and the file data one per page it touches.
        int slots = 1 + (int)(((s.FileOffset & 4095) + s.BodyLength + 4095) / 4096);
        if (Channel.Fd >= 0 && Session.SpliceReads && EnsurePipe(slots) && TrySplice(s)) return;
        SendFileByPread(s);
    }

    private bool EnsurePipe(int slotsNeeded)
    {
        if (_pipeFailed) return false;
        if (_pipeRead < 0)
        {
            int* fds = stackalloc int[2];
            if (Libc.Pipe2(fds, Libc.O_CLOEXEC) < 0)
            {
                _pipeFailed = true;
                Log.Warn($"worker {Index}: pipe2 failed ({Errno.Name(Libc.Errno)}); READ replies go out by pread + writev");
                return false;
            }
            _pipeRead = fds[0];
            _pipeWrite = fds[1];
            // Ask for room for the largest reply; the kernel caps unprivileged pipes at pipe-max-size (1 MiB here).
            int want = (int)Math.Min(Session.Connection.MaxWrite + 4096u, 1u << 20);
            int got = Libc.Fcntl(_pipeWrite, Libc.F_SETPIPE_SZ, want);
            _pipeSize = got > 0 ? got : Libc.Fcntl(_pipeWrite, Libc.F_GETPIPE_SZ, 0);
        }
        return slotsNeeded <= _pipeSize / 4096;
    }

    private bool TrySplice(RequestSlot s)
    {
        // The header (already filled) claims the full length; a short splice (end of file, or a file that shrank)
        // is repaired below by draining the pipe and sending what was read with a correct header.
        var counters = s.Stats.Syscalls;
        counters.Write++;
        if (Libc.Write(_pipeWrite, s.Out, FuseOutHeader.Size) != FuseOutHeader.Size)
        {
            DrainPipe(s, 0);
            return false;
        }
        long off = s.FileOffset;
        int length = s.BodyLength;
        int moved = 0;
        while (moved < length)
        {
            // Non-blocking on the pipe side: if the pipe is unexpectedly full this returns EAGAIN (handled as a short
            // splice below) instead of waiting for a reader that is this very thread.
            counters.Splice++;
            nint n = Libc.Splice(s.FileFd, &off, _pipeWrite, null, (nuint)(length - moved), SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n <= 0) break;
            moved += (int)n;
        }
        if (moved != length)
        {
            // Take back what is in the pipe: header + moved bytes; the data lands in the reply body.
            DrainPipe(s, FuseOutHeader.Size + moved);
            Interlocked.Increment(ref Session.Stats.SpliceFallbacks);
            SendBuffered(s, moved);
            return true;
        }
        counters.Splice++;
        nint w = Libc.Splice(_pipeRead, null, Channel.Fd, null, (nuint)(FuseOutHeader.Size + length), SPLICE_F_MOVE);
        if (w < 0)
        {
            int e = Libc.Errno;
            DrainPipe(s, -1);
            Session.Gate.Failed(e, s.Opcode, s.Unique);
            return true;
        }
        if (w != FuseOutHeader.Size + length) DrainPipe(s, -1);
        Interlocked.Increment(ref Session.Stats.SplicedReplies);
        return true;
    }

    /// <summary>Empty the pipe. With <paramref name="expect"/> ≥ 0 the bytes are read into the reply buffer
    /// (header slot first), so a short splice can still be answered; with -1 they are thrown away.</summary>
    private void DrainPipe(RequestSlot s, int expect)
    {
        byte* dst = (byte*)s.Out;
        int cap = s.DataCapacity + FuseOutHeader.Size;
        int total = 0;
        Libc.Fcntl(_pipeRead, Libc.F_SETFL, Libc.O_NONBLOCK);
        while (true)
        {
            nint n = expect >= 0 ? Libc.Read(_pipeRead, dst + total, (nuint)(cap - total)) : Libc.Read(_pipeRead, dst, (nuint)cap);
            if (n <= 0) break;
            if (expect >= 0) total += (int)n;
        }
        Libc.Fcntl(_pipeRead, Libc.F_SETFL, 0);
    }

    private void SendFileByPread(RequestSlot s)
    {
        Interlocked.Increment(ref Session.Stats.SpliceFallbacks);
        int got = FileToBuffer(s.FileFd, s.FileOffset, s.Data, s.BodyLength, out int errno);
        s.Stats.Syscalls.Pread++;
        if (got < 0)
        {
            s.Body = ReplyBody.None;
            s.Status = errno;
            Send(s);
            return;
        }
        SendBuffered(s, got);
    }

    /// <summary>Send <paramref name="length"/> bytes already in the data area (the pread or drain fallback).</summary>
    private void SendBuffered(RequestSlot s, int length)
    {
        s.Body = ReplyBody.Inline;
        s.BodyPtr = s.Data;
        s.BodyLength = length;
        Send(s);
    }

    /// <summary>pread up to <paramref name="length"/> bytes; returns the count read (short at end of file) or -1
    /// with <paramref name="errno"/> when nothing could be read.</summary>
    internal static int FileToBuffer(int fd, long offset, byte* dst, int length, out int errno)
    {
        errno = 0;
        int got = 0;
        while (got < length)
        {
            // Safe: dst holds at least length bytes of the slot's pinned data area.
            nint n = Libc.Pread(fd, dst + got, (nuint)(length - got), offset + got);
            if (n < 0 && Libc.Errno == Errno.EINTR) continue;
            if (n < 0)
            {
                if (got > 0) break;
                errno = Libc.Errno;
                return -1;
            }
            if (n == 0) break;
            got += (int)n;
        }
        return got;
    }

    private void ClosePipe()
    {
        if (_pipeRead >= 0) Libc.Close(_pipeRead);
        if (_pipeWrite >= 0) Libc.Close(_pipeWrite);
        _pipeRead = _pipeWrite = -1;
    }
}
