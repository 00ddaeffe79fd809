using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record PruneRequest(RetentionPolicy Policy, string? Volume, TimeZoneInfo Zone, bool DryRun);

public sealed record PruneResult(IReadOnlyList<SetVerdict> Sets, IReadOnlyList<string> Orphans);

/// <summary>
/// Deletes the sets a retention policy does not keep. Order: a set's manifest first (from then on it is no longer
/// listed, so an interrupted prune never leaves a listed set with missing archives), then its archives. Items of
/// sets that have no manifest and are older than <see cref="OrphanAge"/> (by their set ID's time) are leftovers of
/// interrupted prunes or backups and are swept; younger ones may belong to a backup still running.
/// </summary>
public sealed class PruneOperation(IBackupStore store, ILogger log, TimeProvider clock)
{
    public static readonly TimeSpan OrphanAge = TimeSpan.FromHours(24);

    public async Task<PruneResult> RunAsync(PruneRequest request, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        var sets = await catalog.ListAsync(null, cancellationToken);
        var verdicts = PrunePlan.Create(sets, request.Policy, request.Volume, request.Zone);
        var orphans = await FindOrphansAsync(sets, cancellationToken);
        if (request.DryRun)
        {
            return new PruneResult(verdicts, orphans);
        }

        foreach (var verdict in verdicts.Where(v => !v.Keep))
        {
            var set = verdict.Set;
            log.Information("Deleting backup set {SetId} of {CreatedAt}", set.Id, set.CreatedAt);
            await catalog.DeleteManifestAsync(set, cancellationToken);
            foreach (var item in set.ArchiveItems())
            {
                await store.DeleteAsync(item, cancellationToken);
            }
        }

        foreach (var orphan in orphans)
        {
            log.Information("Deleting {Item}, left by an interrupted backup or prune", orphan);
            await store.DeleteAsync(orphan, cancellationToken);
        }

        return new PruneResult(verdicts, orphans);
    }

    private async Task<List<string>> FindOrphansAsync(IReadOnlyList<BackupSet> sets, CancellationToken cancellationToken)
    {
        var listed = sets.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var cutoff = clock.GetUtcNow() - OrphanAge;
        var orphans = new List<string>();
        await foreach (var name in store.ListAsync("", cancellationToken))
        {
            var slash = name.IndexOf('/');
            if (slash > 0 && BackupSetId.TryGetTime(name[..slash], out var created) && created < cutoff && !listed.Contains(name[..slash]))
            {
                orphans.Add(name);
            }
        }

        return orphans;
    }
}
