using System.Runtime.CompilerServices;
using System.Text;
using FastFuse.Kernel;

namespace FastFuse.Nodes;

// The tree: a directory's children by name, changed by the filesystem at any time (before mounting, to build the
// tree up front, or while mounted).
public partial class Node
{
    /// <summary>Set on the root of a <see cref="NodeFileSystem"/>: it never becomes anyone's child.</summary>
    internal bool IsRoot;

    /// <summary>The children of this directory, now; 0 for a node that has none (and for every non-directory).</summary>
    public int ChildCount => Volatile.Read(ref Table)?.Count ?? 0;

    /// <summary>
    /// Add <paramref name="child"/> to this directory as <paramref name="name"/>. Returns false, changing nothing,
    /// when the name is taken. <paramref name="persistent"/> (the default) marks the child <see cref="Persistent"/>:
    /// it stays until removed. The kernel sees the new name at its next lookup of it: a name it has cached as missing
    /// (negative_timeout) needs <see cref="NotifyEntry(ReadOnlySpan{byte})"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, ".", "..", longer than 255 bytes or holds '/' or NUL.</exception>
    /// <exception cref="InvalidOperationException">This is not a directory, or the child is already in a directory,
    /// is a tree's root, or is this directory or one of its ancestors.</exception>
    public bool AddChild(ReadOnlySpan<byte> name, Node child, bool persistent = true)
    {
        ArgumentNullException.ThrowIfNull(child);
        CheckName(name);
        if (!IsDirectory) throw new InvalidOperationException($"'{this}' is not a directory: it cannot hold '{Encoding.UTF8.GetString(name)}'");
        if (child.IsRoot) throw new InvalidOperationException("the root of a tree cannot be a child");
        for (Node? a = this; a is not null; a = a.Parent)
            if (ReferenceEquals(a, child)) throw new InvalidOperationException($"'{child}' would become its own descendant");
        var table = EnsureTable();
        lock (table.Sync)
        {
            if (table.Find(name) is not null) return false;
            if (Interlocked.CompareExchange(ref child.ParentNode, this, null) is not null)
                throw new InvalidOperationException($"'{child}' is already in a directory; remove it there first");
            if (persistent) child.Persistent = true;
            Interlocked.CompareExchange(ref child.KernelId, 0, Gone);   // a node a forget took out comes back
            table.AddLocked(this, name.ToArray(), child);
        }
        return true;
    }

    /// <summary><see cref="AddChild(ReadOnlySpan{byte}, Node, bool)"/> with the name in UTF-8.</summary>
    public bool AddChild(string name, Node child, bool persistent = true) =>
        AddChild(Encoding.UTF8.GetBytes(name), child, persistent);

    /// <summary>The child called <paramref name="name"/>, or null. Takes no lock.</summary>
    public Node? GetChild(ReadOnlySpan<byte> name) => FindChild(name);

    /// <summary><see cref="GetChild(ReadOnlySpan{byte})"/> with the name in UTF-8.</summary>
    public Node? GetChild(string name) => FindChild(Encoding.UTF8.GetBytes(name));

    /// <summary>Take the child called <paramref name="name"/> out of this directory and return it (null when there is
    /// none). The kernel may still hold it (an open file, a cached entry): send <see cref="NotifyDelete(ReadOnlySpan{byte}, Node)"/> to make
    /// the name disappear from its cache.</summary>
    public Node? RemoveChild(ReadOnlySpan<byte> name)
    {
        var table = Volatile.Read(ref Table);
        if (table is null) return null;
        lock (table.Sync)
        {
            var child = table.Find(name);
            if (child is not null) table.RemoveLocked(child);
            return child;
        }
    }

    /// <summary><see cref="RemoveChild(ReadOnlySpan{byte})"/> with the name in UTF-8.</summary>
    public Node? RemoveChild(string name) => RemoveChild(Encoding.UTF8.GetBytes(name));

    /// <summary>The children now, in listing order, with their names (a copy).</summary>
    public KeyValuePair<string, Node>[] GetChildren() => Volatile.Read(ref Table)?.ToArray() ?? [];

    /// <summary>The child called <paramref name="name"/>, without a lock or an allocation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Node? FindChild(ReadOnlySpan<byte> name) => Volatile.Read(ref Table)?.Find(name);

    /// <summary>This directory's child table, made on first use.</summary>
    internal ChildTable EnsureTable()
    {
        var t = Volatile.Read(ref Table);
        if (t is not null) return t;
        Interlocked.CompareExchange(ref Table, new ChildTable(), null);
        return Table!;
    }

    /// <summary>A name a directory may hold: 1–255 bytes, no '/' or NUL, not "." or "..".</summary>
    internal static void CheckName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > 255 || name.IndexOfAny((byte)'/', (byte)0) >= 0 || IsDots(name))
            throw new ArgumentException($"'{Encoding.UTF8.GetString(name)}' is not a file name (1-255 bytes, no '/' or NUL, not . or ..)", nameof(name));
    }

    /// <summary>"." or "..".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsDots(ReadOnlySpan<byte> name) =>
        name.Length is 1 or 2 && name[0] == (byte)'.' && (name.Length == 1 || name[1] == (byte)'.');

    /// <summary>The default attributes' link count: 2 for a directory, 1 for anything else.</summary>
    internal uint DefaultNlink => (Mode & Linux.S_IFMT) == Linux.S_IFDIR ? 2u : 1u;
}
