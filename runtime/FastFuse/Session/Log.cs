namespace FastFuse.Session;

public enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, None = 4 }

/// <summary>
/// The runtime's log: one line per event, to stderr unless a sink is set. Debug lines (one per request and
/// reply with -d) are only built when <see cref="DebugEnabled"/> is true, so the hot path pays one branch.
/// </summary>
public static class Log
{
    private static volatile LogLevel s_level = LogLevel.Info;
    private static Action<LogLevel, string>? s_sink;
    private static readonly Lock s_gate = new();

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

    public static bool DebugEnabled => s_level == LogLevel.Debug;

    public static void Debug(string line) { if (s_level <= LogLevel.Debug) Write(LogLevel.Debug, line); }
    public static void Info(string line) { if (s_level <= LogLevel.Info) Write(LogLevel.Info, line); }
    public static void Warn(string line) { if (s_level <= LogLevel.Warn) Write(LogLevel.Warn, line); }
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
