using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Retention;

/// <summary>A set's fate in a prune, and why.</summary>
public sealed record SetVerdict(BackupSet Set, bool Keep, IReadOnlyList<string> Reasons)
{
    /// <summary>"keep    ID  (rules)" or "delete  ID" (<paramref name="deleted"/> names what happened to a set that goes).</summary>
    public string Describe(string deleted = "delete") => Keep ? $"keep    {Set.Id}  ({string.Join(", ", Reasons)})" : $"{deleted,-7} {Set.Id}";
}

/// <summary>
/// Applies a retention policy to the sets of a store, per source volume: a set is kept when the policy keeps it
/// for any volume it holds. The newest set of each volume is always kept, and so is a set that holds volumes
/// outside a <c>--volume</c> filter, and every set a kept set's chains build on ("kept as the base of ..."). Pure.
/// </summary>
public static class PrunePlan
{
    public static IReadOnlyList<SetVerdict> Create(IReadOnlyList<BackupSet> sets, RetentionPolicy policy, string? volume, TimeZoneInfo zone)
    {
        if (policy.IsEmpty)
        {
            throw new BadInputException(new Phrase($"prune needs at least one {Setting.Retention} option; it never deletes everything"));
        }

        var candidates = sets.Where(s => volume is null || s.Archives.Any(a => a.Volume == volume)).ToList();
        var volumes = volume is null ? candidates.SelectMany(s => s.Archives.Select(a => a.Volume)).Distinct().ToList() : [volume];
        var reasons = candidates.ToDictionary(s => s.Id, _ => new List<string>());
        foreach (var v in volumes)
        {
            var holding = candidates.Where(s => s.Archives.Any(a => a.Volume == v)).ToList();
            var suffix = volumes.Count > 1 ? $" of {v}" : "";
            foreach (var decision in policy.Apply(holding, s => s.CreatedAt, zone).Where(d => d.Keep))
            {
                reasons[decision.Backup.Id].AddRange(decision.Reasons.Select(r => r + suffix));
            }

            var newest = holding.MaxBy(s => (s.CreatedAt, s.Id));
            if (newest is not null && !reasons[newest.Id].Any(r => r.StartsWith("newest", StringComparison.Ordinal)))
            {
                reasons[newest.Id].Insert(0, "newest" + (volumes.Count > 1 || volume is not null ? $" of {v}" : ""));
            }
        }

        if (volume is not null)
        {
            foreach (var set in candidates.Where(s => s.Archives.Any(a => a.Volume != volume)))
            {
                reasons[set.Id].Add("holds other volumes too");
            }
        }

        // A kept set keeps its whole chain: every set its incremental archives build on, down to the full ones.
        var byId = sets.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var kept in candidates.Where(s => reasons[s.Id].Count > 0).OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal).ToList())
        {
            foreach (var baseId in Chains.BasesOf(kept, byId))
            {
                if (reasons.TryGetValue(baseId, out var baseReasons) && !baseReasons.Any(r => r.StartsWith("kept as the base of", StringComparison.Ordinal)))
                {
                    baseReasons.Add($"kept as the base of {kept.Id}");
                }
            }
        }

        var verdicts = candidates
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal)
            .Select(s => new SetVerdict(s, reasons[s.Id].Count > 0, reasons[s.Id].Distinct().ToList()))
            .ToList();
        return verdicts.Count > 0 && verdicts.All(v => !v.Keep)
            ? throw new BackupAgentException("this prune would delete every backup; refused")
            : verdicts;
    }
}
