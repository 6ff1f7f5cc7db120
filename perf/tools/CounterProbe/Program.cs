// CounterProbe: attach to a .NET process over its diagnostics IPC channel
// (Microsoft.Diagnostics.NETCore.Client), enable the "System.Runtime" EventCounters
// through EventPipe, and write one JSON line per counter value to --out:
//   {"t":<unix seconds when received>,"name":"alloc-rate","kind":"Sum","value":123.0,"interval":1.0}
// "Sum" counters (alloc-rate, gen-N-gc-count, ...) carry the increment over the
// interval; "Mean" counters (gc-heap-size, ...) a level. Runs until SIGTERM/SIGINT,
// --seconds N elapsed, or the target exits. perf/run sums the increments inside the
// window of a workload and divides by the number of requests.
//
// usage: CounterProbe --pid PID --out FILE [--interval SEC] [--seconds N]
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

int pid = 0;
string? outPath = null;
double interval = 1, seconds = 0;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--pid": pid = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": outPath = args[++i]; break;
        case "--interval": interval = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (pid == 0 || outPath is null)
{
    Console.Error.WriteLine("usage: CounterProbe --pid PID --out FILE [--interval SEC] [--seconds N]");
    return 2;
}

var client = new DiagnosticsClient(pid);
var providers = new[]
{
    new EventPipeProvider("System.Runtime", EventLevel.Informational, (long)EventKeywords.All,
        new Dictionary<string, string> { ["EventCounterIntervalSec"] = interval.ToString(CultureInfo.InvariantCulture) }),
};
// The target's IPC socket appears a little after the process starts: retry for ~10 s.
EventPipeSession? started = null;
for (int attempt = 0; started is null; attempt++)
{
    try { started = client.StartEventPipeSession(providers, requestRundown: false); }
    catch (Exception e) when (attempt < 100 && e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException)
    {
        Thread.Sleep(100);
    }
}
using var session = started;
using var output = new StreamWriter(outPath, append: false, new UTF8Encoding(false)) { AutoFlush = true };
object gate = new();
int lines = 0;

void Stop()
{
    try { session.Stop(); } catch { /* target gone or already stopped */ }
}
Console.CancelKeyPress += (_, e) => { e.Cancel = true; Stop(); };
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Stop(); });
if (seconds > 0)
    _ = Task.Delay(TimeSpan.FromSeconds(seconds)).ContinueWith(_ => Stop());

var source = new EventPipeEventSource(session.EventStream);
source.Dynamic.All += ev =>
{
    if (ev.EventName != "EventCounters") return;
    if (ev.PayloadValue(0) is not IDictionary<string, object> outer) return;
    if (outer.TryGetValue("Payload", out var inner) && inner is IDictionary<string, object> p) outer = p;
    string name = outer.TryGetValue("Name", out var n) ? n?.ToString() ?? "" : "";
    string kind = outer.TryGetValue("CounterType", out var k) ? k?.ToString() ?? "" : "";
    double value = kind == "Sum"
        ? Convert.ToDouble(outer.TryGetValue("Increment", out var inc) ? inc : 0, CultureInfo.InvariantCulture)
        : Convert.ToDouble(outer.TryGetValue("Mean", out var mean) ? mean : 0, CultureInfo.InvariantCulture);
    double iv = outer.TryGetValue("IntervalSec", out var ivs) ? Convert.ToDouble(ivs, CultureInfo.InvariantCulture) : interval;
    double t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
    string line = string.Create(CultureInfo.InvariantCulture,
        $"{{\"t\":{t:F3},\"name\":\"{name}\",\"kind\":\"{kind}\",\"value\":{value:R},\"interval\":{iv:R}}}");
    lock (gate) { output.WriteLine(line); lines++; }
};
try { source.Process(); }
catch (Exception e) { Console.Error.WriteLine($"CounterProbe: {e.GetType().Name}: {e.Message}"); }
Console.Error.WriteLine($"CounterProbe: {lines} counter values written to {outPath}");
return lines > 0 ? 0 : 1;
