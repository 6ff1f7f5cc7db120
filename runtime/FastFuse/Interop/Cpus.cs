namespace FastFuse.Interop;

/// <summary>The CPUs the kernel counts: possible (what fuse-uring makes one queue for) and online.</summary>
internal static class Cpus
{
    /// <summary>num_possible_cpus(): the number of CPUs in /sys/devices/system/cpu/possible.</summary>
    public static int PossibleCount() => Parse(Read("possible")).Count is var n && n > 0 ? n : Environment.ProcessorCount;

    public static HashSet<int> Online() => Parse(Read("online"));

    private static string Read(string which)
    {
        try { return File.ReadAllText($"/sys/devices/system/cpu/{which}").Trim(); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    /// <summary>A kernel CPU list ("0-3,6,8-9") as a set.</summary>
    public static HashSet<int> Parse(string list)
    {
        var set = new HashSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-');
            if (dash < 0) { if (int.TryParse(part, out int c)) set.Add(c); continue; }
            if (int.TryParse(part[..dash], out int a) && int.TryParse(part[(dash + 1)..], out int b))
                for (int c = a; c <= b && c - a < 65536; c++) set.Add(c);
        }
        return set;
    }
}
