using System.Text;

namespace BackupAgent.Core.Formats;

/// <summary>
/// The per-file index of the whole tree after an incremental archive (docs/incremental.md), built from the tree
/// before it (its base's) and what the archive holds: GNU tar dumps every directory with the list of its entries
/// (a dumpdir: "Y" name, in this archive; "N" name, unchanged; "D" name, a directory; "R"/"T" a directory renamed from,
/// to), so the tree at this point is: the renames applied to the base's tree, then, from the root down, each
/// directory's listed entries, taken from this archive or, unchanged, from the base's tree. Hard links are resolved
/// (each name carries its file), as the index comparison does anyway.
/// </summary>
public sealed class IncrementalTree
{
    private readonly List<TarIndexEntry> _entries = [];
    private readonly Dictionary<string, byte[]> _dumpDirs = new(StringComparer.Ordinal);

    /// <summary>Takes an entry of the archive, as it passes.</summary>
    public void Add(TarIndexEntry entry) => _entries.Add(entry);

    /// <summary>Takes a directory's dumpdir, as it passes.</summary>
    public void AddDumpDir(string path, byte[] contents) => _dumpDirs[path] = contents;

    /// <summary>The tree after the archive, over <paramref name="before"/> (the base's tree); throws InvalidDataException when they do not fit together.</summary>
    public List<TarIndexEntry> Build(IEnumerable<TarIndexEntry> before)
    {
        var previous = TarIndex.ResolveHardLinks(before).ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var (from, to) in Renames())
        {
            var moved = previous.Keys.Where(p => p == from || p.StartsWith(from + "/", StringComparison.Ordinal)).ToList();
            var entries = moved.Select(p => previous[p]).ToList();
            moved.ForEach(p => previous.Remove(p));
            foreach (var entry in entries)
            {
                var path = to + entry.Path[from.Length..];
                previous[path] = entry with { Path = path };
            }
        }

        var current = TarIndex.ResolveHardLinks(_entries).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var tree = new List<TarIndexEntry>();
        var pending = new Stack<string>(["."]);
        while (pending.TryPop(out var directory))
        {
            tree.Add(current.TryGetValue(directory, out var self) ? self
                : throw new InvalidDataException($"the archive holds no entry for the directory '{directory}' its parent lists"));
            foreach (var (code, name) in Records(directory))
            {
                var path = directory == "." ? $"./{name}" : $"{directory}/{name}";
                switch (code)
                {
                    case 'D':
                        pending.Push(path);
                        break;
                    case 'Y':
                        tree.Add(current.TryGetValue(path, out var dumped) ? Unlinked(dumped, previous) : throw new InvalidDataException($"'{path}' is listed as in the archive but is not"));
                        break;
                    case 'N':
                        tree.Add(previous.TryGetValue(path, out var kept) ? kept : throw new InvalidDataException($"'{path}' is listed as unchanged but is not in the base's index"));
                        break;
                }
            }
        }

        return tree;
    }

    /// <summary>A hard link whose file this archive does not hold (it did not change) gets that file from the base's tree.</summary>
    private static TarIndexEntry Unlinked(TarIndexEntry entry, Dictionary<string, TarIndexEntry> previous) =>
        entry.Type == "1" && entry.Link is { } target && previous.TryGetValue(target, out var file) ? file with { Path = entry.Path } : entry;

    private IEnumerable<(char Code, string Name)> Records(string directory) =>
        _dumpDirs.TryGetValue(directory, out var contents) ? Parse(contents).Where(r => r.Code is 'Y' or 'N' or 'D') : [];

    /// <summary>The renames of directories, in the order tar recorded them (each applies to the tree as the ones before left it).</summary>
    private IEnumerable<(string From, string To)> Renames()
    {
        foreach (var contents in _dumpDirs.Values)
        {
            string? from = null;
            foreach (var (code, name) in Parse(contents))
            {
                if (code == 'R')
                {
                    from = name.TrimEnd('/');
                }
                else if (code == 'T' && from is not null)
                {
                    yield return (from, name.TrimEnd('/'));
                    from = null;
                }
            }
        }
    }

    /// <summary>
    /// What makes a dumpdir unsafe to give GNU tar's extraction, or null: an entry ("Y", "N", "D") that is not a plain
    /// name, or a rename ("R", "T", "X") to or from a path that is absolute or climbs out of the archive's root.
    /// </summary>
    public static string? Problem(byte[] contents)
    {
        foreach (var (code, name) in Parse(contents))
        {
            var unsafeName = code switch
            {
                'Y' or 'N' or 'D' => name.Length == 0 || name.Contains('/') || name is "." or "..",
                'R' or 'T' or 'X' => name.StartsWith('/') || name.Split('/').Contains(".."),
                _ => true,
            };
            if (unsafeName)
            {
                return $"names '{string.Concat(name.Take(80).Select(c => char.IsControl(c) ? '?' : c))}' (record '{(char.IsControl(code) ? '?' : code)}'), which is not inside it";
            }
        }

        return null;
    }

    /// <summary>A dumpdir's NUL-terminated records, each a one-letter code and a name, up to the empty one that ends it.</summary>
    public static IEnumerable<(char Code, string Name)> Parse(byte[] contents)
    {
        var start = 0;
        while (start < contents.Length)
        {
            var end = Array.IndexOf(contents, (byte)0, start);
            end = end < 0 ? contents.Length : end;
            if (end == start)
            {
                yield break;
            }

            yield return ((char)contents[start], Encoding.UTF8.GetString(contents, start + 1, end - start - 1));
            start = end + 1;
        }
    }
}
