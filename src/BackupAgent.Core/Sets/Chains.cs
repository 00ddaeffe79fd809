namespace BackupAgent.Core.Sets;

/// <summary>One archive of a chain and the set that holds it.</summary>
public sealed record ChainLink(BackupSet Set, ArchiveInfo Archive);

/// <summary>
/// Chains of incremental archives (docs/incremental.md), over what a store lists: an archive at level N builds on the
/// archive of the same source (volume name and kind) at level N-1 in the set its <see cref="ArchiveInfo.Base"/> names,
/// down to a full one at level 0. Pure; every set came through <see cref="ManifestDoor"/>, which bounds levels, so a
/// walk always ends.
/// </summary>
public static class Chains
{
    /// <summary>The archive of <paramref name="set"/> of the same source as <paramref name="archive"/>, or null.</summary>
    public static ArchiveInfo? SameSource(BackupSet set, ArchiveInfo archive) => SameSource(set, archive.Kind, archive.Volume);

    public static ArchiveInfo? SameSource(BackupSet set, SourceKind kind, string volume) =>
        set.Archives.FirstOrDefault(a => a.Kind == kind && a.Volume == volume);

    /// <summary>
    /// The chain that restores <paramref name="archive"/> of <paramref name="set"/>, full first, or why there is none:
    /// a base that is not listed, whose manifest cannot be read, that lacks the source, or whose level or encryption
    /// does not continue it.
    /// </summary>
    public static (IReadOnlyList<ChainLink>? Links, string? Problem) Resolve(BackupSet set, ArchiveInfo archive, CatalogListing listing)
    {
        var sets = listing.Sets.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var unreadable = listing.Unreadable.ToDictionary(u => u.Id, u => u.Reason, StringComparer.Ordinal);
        var links = new List<ChainLink> { new(set, archive) };
        var current = links[0];
        while (current.Archive.Level > 0)
        {
            var baseId = current.Archive.Base!;
            var what = $"archive '{current.Archive.File}' of '{archive.Volume}' in set '{current.Set.Id}' is level {current.Archive.Level} on set '{baseId}'";
            if (unreadable.TryGetValue(baseId, out var reason))
            {
                return (null, $"{what}, whose manifest cannot be read: {reason}");
            }

            if (!sets.TryGetValue(baseId, out var baseSet))
            {
                return (null, $"{what}, which is missing from the store");
            }

            if (SameSource(baseSet, current.Archive) is not { } baseArchive)
            {
                return (null, $"{what}, which holds no archive of '{archive.Volume}'");
            }

            if (baseArchive.Level != current.Archive.Level - 1)
            {
                return (null, $"{what}, whose archive of it is level {baseArchive.Level}, not {current.Archive.Level - 1}");
            }

            if ((baseArchive.Encryption is null) != (current.Archive.Encryption is null))
            {
                return (null, $"{what}, whose archive of it is {(baseArchive.Encryption is null ? "not " : "")}encrypted, unlike this one");
            }

            current = new ChainLink(baseSet, baseArchive);
            links.Add(current);
        }

        links.Reverse();
        return (links, null);
    }

    /// <summary>What is wrong with the chains of <paramref name="set"/>'s archives (nothing for full ones), one line each.</summary>
    public static IReadOnlyList<string> Problems(BackupSet set, CatalogListing listing) =>
        set.Archives.Where(a => a.Level > 0).Select(a => Resolve(set, a, listing).Problem).OfType<string>().ToList();

    /// <summary>The IDs of the sets a set needs to be restored (its chains' bases, transitively), from what is listed.</summary>
    public static IEnumerable<string> BasesOf(BackupSet set, IReadOnlyDictionary<string, BackupSet> sets)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<BackupSet>([set]);
        while (pending.TryPop(out var current))
        {
            foreach (var baseId in current.Archives.Select(a => a.Base).OfType<string>())
            {
                if (seen.Add(baseId) && sets.TryGetValue(baseId, out var baseSet))
                {
                    pending.Push(baseSet);
                }
            }
        }

        return seen;
    }
}
