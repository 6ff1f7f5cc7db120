using FastFuse.Api;
using FastFuse.Interop;
using FastFuse.Kernel;

namespace FastFuse.Session;

// READ replies whose data comes from a file descriptor (loopback): file → pipe → /dev/fuse with splice, the
// reply header written into the pipe first. One pipe per worker, made on first use and reused. Where splice
// cannot be used (no kernel channel, pipe too small, a short splice), the data is read with pread into the
// pinned reply buffer and goes out by writev; both paths are counted in Stats.
public sealed unsafe partial class Worker
{
    private const uint SPLICE_F_MOVE = 1;
    private const uint SPLICE_F_NONBLOCK = 2;
    private int _pipeRead = -1;
    private int _pipeWrite = -1;
    private int _pipeSize;
    private bool _pipeFailed;

    internal int FileFd = -1;
    private long _fileOffset;
    private int _fileLength;

    internal void UseFile(int fd, long offset, int length)
    {
        FileFd = fd;
        _fileOffset = offset;
        _fileLength = length;
    }

    private void SendFileReply(in RequestContext ctx)
    {
        if (ctx.Epoch != Session.Epoch)
        {
            Interlocked.Increment(ref Session.Stats.DroppedStale);
            return;
        }
        // A pipe holds pipeSize/4096 buffers: the header takes one, and the file data one per page it touches.
        int slots = 1 + (int)(((_fileOffset & 4095) + _fileLength + 4095) / 4096);
        if (Channel.Fd >= 0 && Session.SpliceReads && EnsurePipe(slots) && TrySplice(in ctx)) return;
        SendFileByPread(in ctx);
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

    private bool TrySplice(in RequestContext ctx)
    {
        // The header claims the full length; a short splice (end of file, or a file that shrank) is repaired
        // below by draining the pipe and sending what was read with a correct header.
        var header = (FuseOutHeader*)ReplyBody - 1;   // the 16 bytes before the body are the header slot
        header->Len = (uint)(HeaderSize + _fileLength);
        header->Error = 0;
        header->Unique = ctx.Unique;
        if (Libc.Write(_pipeWrite, header, HeaderSize) != HeaderSize)
        {
            DrainPipe(0);
            return false;
        }
        long off = _fileOffset;
        int moved = 0;
        while (moved < _fileLength)
        {
            // Non-blocking on the pipe side: if the pipe is unexpectedly full this returns EAGAIN (handled as a short
            // splice below) instead of waiting for a reader that is this very thread.
            nint n = Libc.Splice(FileFd, &off, _pipeWrite, null, (nuint)(_fileLength - moved), SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n <= 0) break;
            moved += (int)n;
        }
        if (moved != _fileLength)
        {
            // Take back what is in the pipe: header + moved bytes, the data lands in the reply body.
            DrainPipe(HeaderSize + moved);
            Interlocked.Increment(ref Session.Stats.SpliceFallbacks);
            PayloadLength = moved;
            SendBuffered(in ctx);
            return true;
        }
        nint w = Libc.Splice(_pipeRead, null, Channel.Fd, null, (nuint)(HeaderSize + _fileLength), SPLICE_F_MOVE);
        if (w < 0)
        {
            int e = Libc.Errno;
            DrainPipe(-1);
            Session.Replies.Classify(e, ctx.Opcode, ctx.Unique);
            return true;
        }
        if (w != HeaderSize + _fileLength) DrainPipe(-1);
        Interlocked.Increment(ref Session.Stats.SplicedReplies);
        return true;
    }

    /// <summary>Empty the pipe. With <paramref name="expect"/> ≥ 0 the bytes are read into the reply buffer
    /// (header slot first), so a short splice can still be answered; with -1 they are thrown away.</summary>
    private void DrainPipe(int expect)
    {
        byte* dst = ReplyBody - HeaderSize;
        int cap = ReplyCapacity + HeaderSize;
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

    private void SendFileByPread(in RequestContext ctx)
    {
        Interlocked.Increment(ref Session.Stats.SpliceFallbacks);
        int got = 0;
        while (got < _fileLength)
        {
            nint n = Libc.Pread(FileFd, ReplyBody + got, (nuint)(_fileLength - got), _fileOffset + got);
            if (n < 0 && Libc.Errno == Errno.EINTR) continue;
            if (n < 0)
            {
                if (got == 0)
                {
                    FileFd = -1;
                    SendReply(in ctx, Libc.Errno);
                    return;
                }
                break;
            }
            if (n == 0) break;
            got += (int)n;
        }
        PayloadLength = got;
        SendBuffered(in ctx);
    }

    private void SendBuffered(in RequestContext ctx)
    {
        FileFd = -1;
        SegmentCount = 0;
        SendReply(in ctx, 0);
    }

    private void ClosePipe()
    {
        if (_pipeRead >= 0) Libc.Close(_pipeRead);
        if (_pipeWrite >= 0) Libc.Close(_pipeWrite);
        _pipeRead = _pipeWrite = -1;
    }
}
