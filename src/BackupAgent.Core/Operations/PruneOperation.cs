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

        foreach (var verdict in verdicts.Where(v => !v.Keep))
        {
            var set = verdict.Set;
            log.Information("Deleting backup set {SetId} of {CreatedAt}", set.Id, set.CreatedAt);
            await catalog.DeleteManifestAsync(set, cancellationToken);
            foreach (var item in SetLayout.ArchiveItems(set.Id, set.Archives))
            {
                await store.DeleteAsync(item, cancellationToken);
            }

            await catalog.DeleteMacAsync(set, cancellationToken);
        }

        foreach (var orphan in orphans)
        {
            log.Information("Deleting {Item}, left by an interrupted backup or prune", orphan);
            await store.DeleteAsync(orphan, cancellationToken);
        }

        return new PruneResult(verdicts, orphans, unreadable);
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
