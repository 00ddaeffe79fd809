using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Flags a volume whose content shrank sharply since its previous backup: often a wiped or wrongly mounted
/// volume, which a backup would otherwise record faithfully.
/// </summary>
public static class SizeDrops
{
    /// <summary>A drop below this share of the previous size is flagged.</summary>
    public const double Threshold = 0.5;

    /// <summary>Volumes smaller than this before are not flagged: small volumes swing widely.</summary>
    public const long MinimumPreviousBytes = 1 << 20;

    public static async Task<IReadOnlyList<string>> FindAsync(BackupCatalog catalog, IReadOnlyList<ArchiveInfo> archives, CancellationToken cancellationToken)
    {
        var previous = await catalog.ListAsync(null, cancellationToken);
        return Compare(previous, archives);
    }

    /// <summary>
    /// Pure: compares each full archive with the same volume's full archive in the newest of <paramref name="previous"/>
    /// that holds one. An incremental archive (level above 0) holds only what changed, so it is not compared, nor
    /// compared with.
    /// </summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<BackupSet> previous, IReadOnlyList<ArchiveInfo> archives)
    {
        var warnings = new List<string>();
        foreach (var archive in archives.Where(a => a.Level == 0))
        {
            var before = previous
                .Where(s => s.FindArchive(archive.Volume) is { Level: 0 })
                .OrderByDescending(s => s.CreatedAt)
                .Select(s => (s.Id, Archive: s.FindArchive(archive.Volume)!))
                .FirstOrDefault();
            if (before.Archive is { ContentBytes: >= MinimumPreviousBytes } old && archive.ContentBytes < old.ContentBytes * Threshold)
            {
                warnings.Add($"the contents of '{archive.Volume}' dropped from {old.ContentBytes} to {archive.ContentBytes} bytes since backup set {before.Id}");
            }
        }

        return warnings;
    }
}
