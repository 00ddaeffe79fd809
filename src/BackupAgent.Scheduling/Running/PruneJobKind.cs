using BackupAgent.Core.Operations;
using BackupAgent.Core.Retention;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>kind: prune. Applies the job's keep rules to its destination (as backup-agent prune), periods in the job's time zone.</summary>
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
        var result = await PruneAsync(run, dryRun: true, cancellationToken);
        return result.Sets.Select(v => v.Describe())
            .Concat(result.Orphans.Select(o => $"delete orphan {o}"))
            .Concat(result.Unreadable.Select(u => $"keep {u.Id}: its manifest cannot be read"))
            .ToList();
    }

    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var result = await PruneAsync(run, dryRun: false, cancellationToken);
        var deleted = result.Sets.Where(v => !v.Keep).Select(v => v.Set).ToList();
        run.Log.Information("Pruned {Deleted} set(s), kept {Kept}, swept {Orphans} orphaned item(s)", deleted.Count, result.Sets.Count - deleted.Count, result.Orphans.Count);
        return new JobResult(deleted.Select(s => s.Id).ToList(), deleted.Sum(s => s.Archives.Sum(a => a.Bytes)));
    }

    private static Task<PruneResult> PruneAsync(JobRun run, bool dryRun, CancellationToken cancellationToken)
    {
        var job = run.Job;
        return new PruneOperation(run.OpenDestination(), run.Log, TimeProvider.System)
            .RunAsync(new PruneRequest(PolicyOf(job.Keep), job.Volume, job.TimeZone(), dryRun), cancellationToken);
    }
}
