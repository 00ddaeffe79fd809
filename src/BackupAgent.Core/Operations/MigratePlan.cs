using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Operations;

/// <summary>One volume (or bind mount) to move, and the name it gets on the target engine.</summary>
public sealed record MigrateStep(BackupSource Source, string Target);

/// <summary>Maps the sources of a migration to their targets (same names unless <c>--volume NAME=TARGET</c>). Pure.</summary>
public static class MigratePlan
{
    public static IReadOnlyList<MigrateStep> Map(IReadOnlyList<BackupSource> sources, IReadOnlyList<VolumeMapping> mappings)
    {
        var steps = sources.Select(s =>
        {
            var mapping = mappings.FirstOrDefault(m => m.Source == s.Volume) ?? mappings.FirstOrDefault(m => m.Source == s.MountPath);
            return new MigrateStep(s, mapping?.Target ?? s.Volume);
        }).ToList();
        var problems = steps.GroupBy(s => s.Target).Where(g => g.Count() > 1)
            .Select(FormattableString (g) => $"{string.Join(" and ", g.Select(s => $"'{s.Source.Volume}'"))} would both go into '{g.Key}'")
            .Concat(mappings.Where(m => steps.All(s => s.Source.Volume != m.Source && s.Source.MountPath != m.Source))
                .Select(FormattableString (m) => $"{Setting.Volume} '{m.Source}' names nothing that is migrated"))
            .ToList();
        return problems.Count > 0 ? throw new BadInputException(Phrase.Join("; ", problems)) : steps;
    }

    /// <summary>
    /// On the engine the data comes from, a target must not be one of the sources: it would be emptied and written
    /// while it is read (<c>--volume a=a</c>, or <c>a=b</c> with <c>b=a</c>).
    /// </summary>
    public static void EnsureNotOntoItself(IReadOnlyList<MigrateStep> steps, string endpoint)
    {
        var sources = steps.Select(s => s.Source.Volume).ToHashSet(StringComparer.Ordinal);
        var problems = steps.Where(s => sources.Contains(s.Target))
            .Select(s => s.Target == s.Source.Volume ? $"'{s.Source.Volume}' would be written into itself" : $"'{s.Source.Volume}' would be written into '{s.Target}', which is read too")
            .ToList();
        if (problems.Count > 0)
        {
            throw new BadInputException(new Phrase(
                $"{Setting.TargetEngine} {endpoint} is the engine the data comes from, and {string.Join("; ", problems)}; name target volumes that are not migrated ({Setting.Volume} NAME=TARGET)"));
        }
    }

    /// <summary>A definition with its volume mounts renamed as they were migrated.</summary>
    public static ContainerDefinition Rename(ContainerDefinition definition, IReadOnlyList<MigrateStep> steps) => definition with
    {
        Mounts = definition.Mounts.Select(m =>
            steps.FirstOrDefault(s => s.Source.Volume == m.Source) is { } step ? m with { Source = step.Target } : m).ToList(),
    };

    /// <summary>Orders definitions so that each comes after the containers it takes volumes from.</summary>
    public static IReadOnlyList<ContainerDefinition> CreationOrder(IReadOnlyList<ContainerDefinition> definitions)
    {
        var order = new List<ContainerDefinition>();
        var remaining = definitions.ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(d => d.DependsOn.All(n => remaining.All(r => r.Name != n))) ?? remaining[0];
            order.Add(next);
            remaining.Remove(next);
        }

        return order;
    }
}
