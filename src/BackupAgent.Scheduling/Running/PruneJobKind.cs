using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// kind: prune. Applies the job's keep rules to its destination and to each of its copies (as backup-agent prune),
/// periods in the job's time zone. A backup job with keep rules prunes the same way after its backups and copies.
/// </summary>
public sealed class PruneJobKind : IJobKind
{
    public string Name => "prune";

    public static RetentionPolicy PolicyOf(KeepOptions keep) => new()
    {
        Last = keep.Last,
        Hourly = keep.Hourly,
        Daily = keep.Daily,
        Weekly = keep.Weekly,
        Monthly = keep.Monthly,
        Yearly = keep.Yearly,
        Within = keep.Within is { Length: > 0 } within ? RetentionPolicy.ParseDuration(within, "keep.within") : null,
    };

    public async Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var name in Names(run))
        {
            var result = await PruneAsync(run, Open(run, name), dryRun: true, cancellationToken);
            var at = name is null ? "" : $" at {name}";
            lines.AddRange(result.Sets.Select(v => v.Describe() + at)
                .Concat(result.Orphans.Select(o => $"delete orphan {o}{at}"))
                .Concat(result.Unreadable.Select(u => $"keep {u.Id}{at}: its manifest cannot be read")));
        }

        return lines;
    }

    /// <summary>Prunes the destination, then each copy destination with the same rules (each holds its own sets); one failing does not stop the next.</summary>
    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var pruned = await EachAsync(run, ownFailureFailsAll: true, cancellationToken);
        var deleted = pruned.Deleted;
        var done = new JobResult(deleted.Select(s => s.Id).Distinct().ToList(), deleted.Sum(s => s.Archives.Sum(a => a.Bytes))) { Copies = pruned.Lines };
        return pruned.Failures.Count > 0
            ? throw PartialRunException.Of(new BackupAgentException($"job {run.Job.Name}: {string.Join("; ", pruned.Failures)}"), done)
            : done;
    }

    /// <summary>
    /// Applies the job's keep rules to its destination, then to each copy destination (each on its own sets): the sets
    /// deleted, a line per store ("pruned N set(s) at NAME, kept M"), and the stores that failed. A failure of the job's own
    /// destination propagates when <paramref name="ownFailureFailsAll"/>; any other does not stop the next store.
    /// </summary>
    public static async Task<(List<BackupSet> Deleted, List<string> Lines, List<string> Failures)> EachAsync(JobRun run, bool ownFailureFailsAll, CancellationToken cancellationToken)
    {
        var deleted = new List<BackupSet>();
        var lines = new List<string>();
        var failures = new List<string>();
        foreach (var name in Names(run))
        {
            try
            {
                var store = Open(run, name);
                var result = await PruneAsync(run, store, dryRun: false, cancellationToken);
                var gone = result.Sets.Where(v => !v.Keep).Select(v => v.Set).ToList();
                run.Log.Information("Pruned {Deleted} set(s) at {Store}, kept {Kept}, swept {Orphans} orphaned item(s)", gone.Count, store.Location, result.Sets.Count - gone.Count, result.Orphans.Count);
                deleted.AddRange(gone);
                lines.Add($"pruned {gone.Count} set(s) at {name ?? run.Job.Destination}, kept {result.Sets.Count - gone.Count}");
            }
            catch (Exception e) when (e is not OperationCanceledException && (name is not null || !ownFailureFailsAll))
            {
                run.Log.Error("Pruning {Destination} failed: {Error}", name ?? run.Job.Destination, JobTerms.Describe(e));
                failures.Add($"pruning {name ?? run.Job.Destination} failed: {JobTerms.Describe(e)}");
            }
        }

        return (deleted, lines, failures);
    }

    /// <summary>The job's destination (no name), then its copy destinations.</summary>
    private static IEnumerable<string?> Names(JobRun run) => run.Job.Copies.Prepend(null);

    private static IBackupStore Open(JobRun run, string? name) => name is null ? run.OpenDestination() : run.OpenCopy(name);

    private static Task<PruneResult> PruneAsync(JobRun run, IBackupStore store, bool dryRun, CancellationToken cancellationToken)
    {
        var job = run.Job;
        return new PruneOperation(store, run.Log, TimeProvider.System)
            .RunAsync(new PruneRequest(PolicyOf(job.Keep), job.Volume, job.TimeZone(), dryRun), cancellationToken);
    }
}
