using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Sets;

/// <summary>
/// Which archive of a set goes into which target. Pure: checked before anything is touched. A restore writes to the
/// host only where the command line says: a bind mount's archive goes back to its host path (which the manifest, read
/// from an untrusted store, names) only when <c>--volume</c> names a target or <paramref name="toOriginalPaths"/>.
/// </summary>
public sealed record RestorePlan(BackupSet Set, IReadOnlyList<RestoreStep> Steps)
{
    public static RestorePlan Create(BackupSet set, IReadOnlyList<VolumeMapping> mappings, bool toOriginalPaths = false)
    {
        var steps = new List<RestoreStep>();
        var problems = new List<FormattableString>();
        if (mappings.Count == 0)
        {
            steps.AddRange(set.Archives.Select(a => new RestoreStep(a, a.Volume)));
            problems.AddRange(set.Archives.Where(a => a.Kind == SourceKind.Bind && !toOriginalPaths).Select(a => OriginalPathNotNamed(set, a)));
        }
        else
        {
            foreach (var group in mappings.GroupBy(m => m.Source).Where(g => g.Count() > 1))
            {
                problems.Add($"{Setting.Volume} names '{group.Key}' more than once");
            }

            foreach (var mapping in mappings.DistinctBy(m => m.Source))
            {
                if (set.FindArchive(mapping.Source) is { } archive)
                {
                    // A mount path names an archive, not a place on the host: without =TARGET its archive goes back
                    // into its own volume (a bind mount's into its host path only with --to-original-paths).
                    var byMountPath = !mapping.HasTarget && archive.Volume != mapping.Source;
                    steps.Add(new RestoreStep(archive, byMountPath ? archive.Volume : mapping.Target));
                    if (byMountPath && archive.Kind == SourceKind.Bind && !toOriginalPaths)
                    {
                        problems.Add(OriginalPathNotNamed(set, archive));
                    }
                }
                else
                {
                    problems.Add($"backup set '{set.Id}' has no volume '{mapping.Source}' (it has {string.Join(", ", set.Archives.Select(a => $"'{a.Volume}'"))})");
                }
            }
        }

        foreach (var group in steps.GroupBy(s => s.Target).Where(g => g.Count() > 1))
        {
            problems.Add($"{string.Join(" and ", group.Select(s => $"'{s.Archive.Volume}'"))} would both be restored into '{group.Key}'");
        }

        foreach (var step in steps.Where(s => !s.TargetIsHostPath && !VolumeNames.IsVolumeName(s.Target)))
        {
            problems.Add($"'{step.Target}' is not a valid volume name (letters, digits, '_', '.', '-'; or an absolute host path)");
        }

        return problems.Count > 0 ? throw new BadInputException(Phrase.Join("; ", problems)) : new RestorePlan(set, steps);
    }

    // The settings are worded by whoever shows the message (restore is a command only).
    private static FormattableString OriginalPathNotNamed(BackupSet set, ArchiveInfo archive) =>
        $"archive '{archive.File}' of backup set '{set.Id}' is of the bind mount '{archive.Volume}', a host path: give a target ({Setting.Volume} {archive.Volume}=TARGET) or {Setting.ToOriginalPaths} to restore it there";
}

public sealed record RestoreStep(ArchiveInfo Archive, string Target)
{
    public bool TargetIsHostPath => Target.StartsWith('/');
}
