using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record PruneRequest(RetentionPolicy Policy, string? Volume, TimeZoneInfo Zone, bool DryRun);

/// <summary>The verdicts on the readable sets, the leftovers swept, and the sets kept because their manifests cannot be read.</summary>
public sealed record PruneResult(IReadOnlyList<SetVerdict> Sets, IReadOnlyList<string> Orphans, IReadOnlyList<UnreadableSet> Unreadable);

/// <summary>
/// Deletes the sets a retention policy does not keep. Order: a set's manifest first (from then on it is no longer
/// listed, so an interrupted prune never leaves a listed set with missing archives), then its archives and its MAC. Items of
/// sets that have no manifest and are older than <see cref="OrphanAge"/> (by their set ID's time) are leftovers of
/// interrupted prunes or backups and are swept; younger ones may belong to a backup still running. A set whose
/// manifest cannot be read (corrupt, or written by a newer agent) is never deleted, nor are its archives swept.
/// A set that a backup running beside the prune builds a level on is kept (<see cref="RescueBasesAsync"/>).
/// </summary>
public sealed class PruneOperation(IBackupStore store, ILogger log, TimeProvider clock)
{
    public static readonly TimeSpan OrphanAge = TimeSpan.FromHours(24);

    public async Task<PruneResult> RunAsync(PruneRequest request, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        var (sets, unreadable) = await catalog.ScanAsync(null, cancellationToken);
        foreach (var set in unreadable)
        {
            log.Warning("Keeping backup set {SetId} and its archives: {Reason}", set.Id, set.Reason);
        }

        var verdicts = PrunePlan.Create(sets, request.Policy, request.Volume, request.Zone);
        var orphans = await FindOrphansAsync(sets.Select(s => s.Id).Concat(unreadable.Select(u => u.Id)), cancellationToken);
        if (request.DryRun)
        {
            return new PruneResult(verdicts, orphans, unreadable);
        }

        var doomed = verdicts.Where(v => !v.Keep).Select(v => v.Set).ToList();
        foreach (var set in doomed)
        {
            log.Information("Deleting backup set {SetId} of {CreatedAt}", set.Id, set.CreatedAt);
            await catalog.DeleteManifestAsync(set, cancellationToken);
        }

        var rescued = await RescueBasesAsync(catalog, doomed, cancellationToken);
        foreach (var set in doomed.Where(s => !rescued.ContainsKey(s.Id)))
        {
            foreach (var item in SetLayout.ArchiveItems(set.Id, set.Archives))
            {
                await store.DeleteAsync(item, cancellationToken);
            }

            await catalog.DeleteMacAsync(set, cancellationToken);
        }

        verdicts = [.. verdicts.Select(v => rescued.TryGetValue(v.Set.Id, out var newer) ? v with { Keep = true, Reasons = [$"kept as the base of {newer}, which a backup made while this prune ran"] } : v)];
        foreach (var orphan in orphans)
        {
            log.Information("Deleting {Item}, left by an interrupted backup or prune", orphan);
            await store.DeleteAsync(orphan, cancellationToken);
        }

        return new PruneResult(verdicts, orphans, unreadable);
    }

    /// <summary>
    /// A backup that chose a set as its base before this prune listed the store may have published its level on it
    /// since. So the doomed sets lose their manifests first, then the store is listed again, and every doomed set that a
    /// listed set's chains need gets its manifest back (its exact bytes; its items and MAC are still there) and is kept.
    /// The backup does its half: it checks its bases once its manifest is written (<see cref="SetWriter.CommitAsync"/>),
    /// so either this listing sees its level or it sees its base gone. Returns the rescued sets, each with a set that needs it.
    /// </summary>
    private async Task<Dictionary<string, string>> RescueBasesAsync(BackupCatalog catalog, IReadOnlyList<BackupSet> doomed, CancellationToken cancellationToken)
    {
        var rescued = new Dictionary<string, string>(StringComparer.Ordinal);
        if (doomed.Count == 0 || doomed.All(s => s.Archives.All(a => a.Snapshot is null)))
        {
            return rescued; // None of them can be a base.
        }

        var listed = (await new BackupCatalog(store).ScanAsync(null, cancellationToken)).Sets;
        var byId = listed.Concat(doomed).DistinctBy(s => s.Id).ToDictionary(s => s.Id, StringComparer.Ordinal);
        var doomedIds = doomed.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var set in listed.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal))
        {
            foreach (var baseId in Chains.BasesOf(set, byId).Where(doomedIds.Contains))
            {
                rescued.TryAdd(baseId, set.Id);
            }
        }

        foreach (var (id, newer) in rescued)
        {
            log.Warning("Keeping backup set {SetId}: set {Newer}, which a backup made while this prune ran, builds on it", id, newer);
            await catalog.RestoreManifestAsync(id, cancellationToken);
        }

        return rescued;
    }

    private async Task<List<string>> FindOrphansAsync(IEnumerable<string> setIds, CancellationToken cancellationToken)
    {
        var listed = setIds.ToHashSet(StringComparer.Ordinal);
        var cutoff = clock.GetUtcNow() - OrphanAge;
        var orphans = new List<string>();
        await foreach (var name in store.ListAsync("", cancellationToken))
        {
            var slash = name.IndexOf('/');
            if (slash > 0 && BackupSetId.TryGetTime(name[..slash], out var created) && created < cutoff && !listed.Contains(name[..slash]))
            {
                if (StoreNames.IsValid(name))
                {
                    orphans.Add(name);
                }
                else
                {
                    log.Warning("Leaving {Item} alone: it is not a valid item name ({Reason})", name, StoreNames.Problem(name));
                }
            }
        }

        return orphans;
    }
}
