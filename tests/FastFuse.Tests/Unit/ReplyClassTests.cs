using FastFuse.Filesystems;
using FastFuse.Kernel;
using FastFuse.Session;

namespace FastFuse.Tests.Unit;

/// <summary>Tests that replace the process-wide <see cref="Log.Sink"/>/<see cref="Log.Level"/>: never run beside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogCaptureCollection
{
    public const string Name = "log capture (not parallel)";
}

/// <summary>Captures log lines for the length of a test and restores the previous sink and level after.</summary>
internal sealed class LogCapture : IDisposable
{
    private readonly Action<LogLevel, string>? _oldSink;
    private readonly LogLevel _oldLevel;
    private readonly List<(LogLevel Level, string Line)> _lines = new();

    public LogCapture(LogLevel level)
    {
        _oldSink = Log.Sink;
        _oldLevel = Log.Level;
        Log.Level = level;
        Log.Sink = (l, s) => { lock (_lines) _lines.Add((l, s)); };
    }

    public List<(LogLevel Level, string Line)> Lines { get { lock (_lines) return _lines.ToList(); } }
    public IEnumerable<string> At(LogLevel level) => Lines.Where(l => l.Level == level).Select(l => l.Line);

    public void Dispose()
    {
        Log.Sink = _oldSink;
        Log.Level = _oldLevel;
    }
}

/// <summary>A write the kernel refuses is sorted by errno; only "our bug" writes are logged as errors.</summary>
[Collection(LogCaptureCollection.Name)]
public sealed class ReplyClassTests
{
    private static Harness Initialized()
    {
        var h = new Harness(new MemFs(new MemFsOptions { RootUid = 1000, RootGid = 1000 }));
        h.Init();
        return h;
    }

    [Theory]
    [InlineData(-Errno.ENOENT)]
    [InlineData(-Errno.ENODEV)]
    [InlineData(-Errno.ECONNABORTED)]
    [InlineData(-Errno.EINVAL)]
    public void FailedWrite_IsClassifiedByErrno(int failWith)
    {
        using var h = Initialized();
        using var log = new LogCapture(LogLevel.Debug);
        h.Channel.FailWith = failWith;
        long replies = h.Replies;
        Assert.Null(h.Send(Req.Getattr(200, 1)));
        Assert.Null(h.Send(Req.Lookup(201, 1, "x")));
        Assert.Equal(replies, h.Replies);

        long expectNotFound = failWith == -Errno.ENOENT ? 2 : 0;
        long expectNoDevice = failWith is -Errno.ENODEV or -Errno.ECONNABORTED ? 2 : 0;
        long expectOther = failWith == -Errno.EINVAL ? 2 : 0;
        Assert.Equal(expectNotFound, h.Stats.ReplyNotFound);
        Assert.Equal(expectNoDevice, h.Stats.ReplyNoDevice);
        Assert.Equal(expectOther, h.Stats.ReplyOtherErrors);
        Assert.Equal(0, h.Stats.DroppedStale);

        var errors = log.At(LogLevel.Error).ToList();
        if (failWith == -Errno.EINVAL)
        {
            Assert.Equal(2, errors.Count);
            Assert.Contains(errors, l => l.Contains("200") && l.Contains("EINVAL") && l.Contains("GETATTR"));
        }
        else
        {
            Assert.Empty(errors);
            // Said at debug level, naming the request.
            Assert.Contains(log.At(LogLevel.Debug), l => l.StartsWith("reply 200 (GETATTR)"));
        }

        // The channel works again: nothing was left broken.
        h.Channel.FailWith = 0;
        Assert.Equal(0, h.Call(Req.Getattr(202, 1)).Error);
    }

    [Theory]
    [InlineData(-Errno.ENOENT)]
    [InlineData(-Errno.ENODEV)]
    [InlineData(-Errno.EINVAL)]
    public void FailedDeferredWrite_IsClassifiedToo(int failWith)
    {
        var fs = new DeferringFs { Defer = true };
        using var h = new Harness(fs);
        h.Init();
        using var log = new LogCapture(LogLevel.Info);
        Assert.Null(h.Send(Req.Getattr(210, 1)));
        h.Channel.FailWith = failWith;
        fs.Pending!.Error(Errno.EINTR);
        Assert.Equal(failWith == -Errno.ENOENT ? 1 : 0, h.Stats.ReplyNotFound);
        Assert.Equal(failWith == -Errno.ENODEV ? 1 : 0, h.Stats.ReplyNoDevice);
        Assert.Equal(failWith == -Errno.EINVAL ? 1 : 0, h.Stats.ReplyOtherErrors);
        Assert.Equal(failWith == -Errno.EINVAL ? 1 : 0, log.At(LogLevel.Error).Count());
    }

    [Fact]
    public void ThrowingHandler_IsLoggedOnce_AsAnError()
    {
        using var h = new Harness(new ThrowingFs());
        h.Init();
        using var log = new LogCapture(LogLevel.Info);
        Assert.Equal(-Errno.EIO, h.Call(Req.Getattr(220, 1)).Error);
        var e = Assert.Single(log.At(LogLevel.Error));
        Assert.Contains("GETATTR", e);
        Assert.Contains("InvalidOperationException", e);
        Assert.Contains("220", e);
    }

    [Fact]
    public void DebugLog_ShowsRequestAndReplyLines()
    {
        using var h = Initialized();
        using var log = new LogCapture(LogLevel.Debug);
        h.Call(Req.Mkdir(230, 1, "named"));
        h.Call(Req.Lookup(231, 1, "named"));
        h.Call(Req.Lookup(232, 1, "missing"));
        var debug = log.At(LogLevel.Debug).ToList();
        Assert.Contains(debug, l => l.StartsWith("rx 231: LOOKUP n1 [\"named\"]"));
        Assert.Contains(debug, l => l == "tx 231: OK 128 bytes");
        Assert.Contains(debug, l => l.StartsWith("rx 230: MKDIR n1 [\"named\"]"));
        Assert.Contains(debug, l => l.StartsWith("tx 232: "));
    }
}
