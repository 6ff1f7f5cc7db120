using FastFuse.Session;

namespace FastFuse.Transport.DevFuse;

// READ replies whose data comes from a file descriptor (loopback): spliced file → pipe → /dev/fuse by the worker's
// SpliceSender; where splice cannot be used the data is read with pread into the reply buffer and goes out by
// writev. Both paths are counted in Stats.
internal sealed unsafe partial class DevFuseWorker
{
    private SpliceSender? _splice;

    private void SendFile(RequestSlot s)
    {
        _splice ??= new SpliceSender(Session, $"worker {Index}");
        switch (_splice.TrySend(s, Channel.Fd, out int moved))
        {
            case SpliceResult.Sent:
                return;
            case SpliceResult.Short:
                SendBuffered(s, moved);
                return;
        }
        Interlocked.Increment(ref Session.Stats.SpliceFallbacks);
        int got = SpliceSender.FileToBuffer(s.FileFd, s.FileOffset, s.Data, s.BodyLength, out int errno);
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

    private void ClosePipe() => _splice?.Dispose();
}
