using FastFuse.Interop;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Transport;

/// <summary>What became of a READ reply offered to <see cref="SpliceSender.TrySend"/>.</summary>
internal enum SpliceResult
{
    /// <summary>Written (or its failure classified): nothing more to do.</summary>
    Sent,
    /// <summary>Splice could not be used: the caller sends the data another way (pread into the data area).</summary>
    NotUsed,
    /// <summary>The file ended sooner than asked: <c>moved</c> bytes now sit in the data area, to be sent from there.</summary>
    Short,
}

/// <summary>
/// READ replies whose data comes from a file descriptor (loopback): file → pipe → /dev/fuse with splice, the reply
/// header written into the pipe first, no copy through user space. One pipe per loop thread, made on first use and
/// reused. Used by the transports that own a /dev/fuse fd (devfuse, and uring, where such a reply leaves the ring
/// and is written at once). The caller has checked the epoch; failures of the final splice are classified here.
/// </summary>
internal sealed unsafe class SpliceSender(FuseSession session, string owner) : IDisposable
{
    private const uint SPLICE_F_MOVE = 1;
    private const uint SPLICE_F_NONBLOCK = 2;
    private int _pipeRead = -1;
    private int _pipeWrite = -1;
    private int _pipeSize;
    private bool _pipeFailed;

    /// <summary>Splice the slot's file range to <paramref name="devFd"/> after its (filled) out header.</summary>
    public SpliceResult TrySend(RequestSlot s, int devFd, out int moved)
    {
        moved = 0;
        // A pipe holds pipeSize/4096 buffers: the header takes one, and the file data one per page it touches.
        int slots = 1 + (int)(((s.FileOffset & 4095) + s.BodyLength + 4095) / 4096);
        if (devFd < 0 || !session.SpliceReads || !EnsurePipe(slots)) return SpliceResult.NotUsed;
        var counters = s.Stats.Syscalls;
        counters.Write++;
        // The header claims the full length; a short splice (end of file, or a file that shrank) is repaired by
        // draining the pipe and answering with what was read and a correct header.
        if (Libc.Write(_pipeWrite, s.Out, FuseOutHeader.Size) != FuseOutHeader.Size)
        {
            DrainPipe(s, 0);
            return SpliceResult.NotUsed;
        }
        long off = s.FileOffset;
        int length = s.BodyLength;
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
            // Take back what is in the pipe: header + moved bytes; the data lands in the data area.
            DrainPipe(s, FuseOutHeader.Size + moved);
            Interlocked.Increment(ref session.Stats.SpliceFallbacks);
            return SpliceResult.Short;
        }
        counters.Splice++;
        nint w = Libc.Splice(_pipeRead, null, devFd, null, (nuint)(FuseOutHeader.Size + length), SPLICE_F_MOVE);
        if (w < 0)
        {
            int e = Libc.Errno;
            DrainPipe(s, -1);
            session.Gate.Failed(e, s.Opcode, s.Unique);
            return SpliceResult.Sent;
        }
        if (w != FuseOutHeader.Size + length) DrainPipe(s, -1);
        Interlocked.Increment(ref session.Stats.SplicedReplies);
        return SpliceResult.Sent;
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
                Log.Warn($"{owner}: pipe2 failed ({Errno.Name(Libc.Errno)}); READ replies go out by pread + writev");
                return false;
            }
            _pipeRead = fds[0];
            _pipeWrite = fds[1];
            // Ask for room for the largest reply; the kernel caps unprivileged pipes at pipe-max-size (1 MiB here).
            int want = (int)Math.Min(session.Connection.MaxWrite + 4096u, 1u << 20);
            int got = Libc.Fcntl(_pipeWrite, Libc.F_SETPIPE_SZ, want);
            _pipeSize = got > 0 ? got : Libc.Fcntl(_pipeWrite, Libc.F_GETPIPE_SZ, 0);
        }
        return slotsNeeded <= _pipeSize / 4096;
    }

    /// <summary>Empty the pipe. With <paramref name="expect"/> ≥ 0 the bytes are read into the slot's reply memory
    /// (header first, so the data lands in the data area that follows it); with -1 they are thrown away.</summary>
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

    /// <summary>pread up to <paramref name="length"/> bytes; returns the count read (short at end of file) or -1
    /// with <paramref name="errno"/> when nothing could be read.</summary>
    public static int FileToBuffer(int fd, long offset, byte* dst, int length, out int errno)
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

    public void Dispose()
    {
        if (_pipeRead >= 0) Libc.Close(_pipeRead);
        if (_pipeWrite >= 0) Libc.Close(_pipeWrite);
        _pipeRead = _pipeWrite = -1;
    }
}
