namespace FastFuse.Session;

/// <summary>How severe a log line is. As <see cref="Log.Level"/>, the least severe level written.</summary>
public enum LogLevel
{
    /// <summary>Detail for debugging: with -o debug, a line per request and per reply.</summary>
    Debug = 0,
    /// <summary>Events worth telling: a transport falling back, a stale mount cleared.</summary>
    Info = 1,
    /// <summary>Something went wrong and the session goes on.</summary>
    Warn = 2,
    /// <summary>A failure: a handler threw, a reply could not be written.</summary>
    Error = 3,
    /// <summary>As <see cref="Log.Level"/>: write nothing.</summary>
    None = 4,
}

/// <summary>
/// The runtime's log: one line per event, to stderr unless a sink is set. Debug lines (one per request and
/// reply with -d) are only built when <see cref="DebugEnabled"/> is true, so the hot path pays one branch.
/// </summary>
public static class Log
{
    private static volatile LogLevel s_level = LogLevel.Info;
    private static Action<LogLevel, string>? s_sink;
    private static readonly Lock s_gate = new();

    /// <summary>The least severe level written (default <see cref="LogLevel.Info"/>; Debug with -o debug).</summary>
    public static LogLevel Level
    {
        get => s_level;
        set => s_level = value;
    }

    /// <summary>Where lines go; null writes them to stderr.</summary>
    public static Action<LogLevel, string>? Sink
    {
        get => s_sink;
        set => s_sink = value;
    }

    /// <summary>True when debug lines are written: check it before building one.</summary>
    public static bool DebugEnabled => s_level == LogLevel.Debug;

    /// <summary>Write <paramref name="line"/> at <see cref="LogLevel.Debug"/>.</summary>
    public static void Debug(string line) { if (s_level <= LogLevel.Debug) Write(LogLevel.Debug, line); }
    /// <summary>Write <paramref name="line"/> at <see cref="LogLevel.Info"/>.</summary>
    public static void Info(string line) { if (s_level <= LogLevel.Info) Write(LogLevel.Info, line); }
    /// <summary>Write <paramref name="line"/> at <see cref="LogLevel.Warn"/>.</summary>
    public static void Warn(string line) { if (s_level <= LogLevel.Warn) Write(LogLevel.Warn, line); }
    /// <summary>Write <paramref name="line"/> at <see cref="LogLevel.Error"/>.</summary>
    public static void Error(string line) { if (s_level <= LogLevel.Error) Write(LogLevel.Error, line); }

    private static void Write(LogLevel level, string line)
    {
        var sink = s_sink;
        if (sink is not null)
        {
            sink(level, line);
            return;
        }
        string prefix = level switch
        {
            LogLevel.Error => "fastfuse: error: ",
            LogLevel.Warn => "fastfuse: warning: ",
            _ => "fastfuse: ",
        };
        lock (s_gate) Console.Error.WriteLine(prefix + line);
    }
}
