using System.Collections.Concurrent;
using FastFuse.Api;

namespace FastFuse.Filesystems;

/// <summary>
/// A caller's supplementary groups, which the FUSE request header does not carry: read from /proc/PID/status
/// (the request's pid is the calling thread's id) and trusted only when that task's fs uid and gid are the
/// request's — otherwise none: fewer rights, never more. Cached per pid for a second.
/// </summary>
internal sealed class CallerGroups
{
    private sealed record Entry(long Expires, uint Uid, uint Gid, uint[] Groups);

    private readonly ConcurrentDictionary<uint, Entry> _cache = new();

    /// <summary>True when the caller's primary or a supplementary group is <paramref name="gid"/>.</summary>
    public bool IsMember(in RequestContext ctx, uint gid) => ctx.Gid == gid || Array.IndexOf(Of(in ctx), gid) >= 0;

    public uint[] Of(in RequestContext ctx)
    {
        if (ctx.Pid == 0) return [];
        long now = Environment.TickCount64;
        if (_cache.TryGetValue(ctx.Pid, out var c) && c.Expires > now && c.Uid == ctx.Uid && c.Gid == ctx.Gid)
            return c.Groups;
        uint[] groups = [];
        try
        {
            var text = File.ReadAllText($"/proc/{ctx.Pid}/status");
            if (FieldIs(text, "Uid:", ctx.Uid) && FieldIs(text, "Gid:", ctx.Gid))
                groups = ParseGroups(text);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (_cache.Count > 4096) _cache.Clear();
        _cache[ctx.Pid] = new Entry(now + 1000, ctx.Uid, ctx.Gid, groups);
        return groups;
    }

    /// <summary>True when the 4th number (the fs id) on the line starting with <paramref name="key"/> is <paramref name="id"/>.</summary>
    private static bool FieldIs(string text, string key, uint id)
    {
        int i = text.IndexOf("\n" + key, StringComparison.Ordinal);
        if (i < 0) return false;
        int end = text.IndexOf('\n', i + 1);
        var parts = text.AsSpan(i + 1 + key.Length, (end < 0 ? text.Length : end) - (i + 1 + key.Length)).Trim();
        int k = 0;
        foreach (var r in parts.Split('\t'))
        {
            var part = parts[r].Trim();
            if (part.IsEmpty) continue;
            if (k++ == 3) return uint.TryParse(part, out var v) && v == id;
        }
        return false;
    }

    private static uint[] ParseGroups(string text)
    {
        int i = text.IndexOf("\nGroups:", StringComparison.Ordinal);
        if (i < 0) return [];
        int start = i + "\nGroups:".Length;
        int end = text.IndexOf('\n', start);
        var line = text.AsSpan(start, (end < 0 ? text.Length : end) - start);
        var list = new List<uint>();
        foreach (var r in line.Split(' '))
        {
            var part = line[r].Trim();
            if (!part.IsEmpty && uint.TryParse(part, out var g)) list.Add(g);
        }
        return list.ToArray();
    }
}
