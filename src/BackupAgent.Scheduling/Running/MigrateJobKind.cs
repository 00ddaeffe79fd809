using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// kind: migrate. A standing copy on a second host: every run copies the job's volumes (and each listed container's
/// volumes) to <c>targetEngine</c>, replacing what the copy held, and compares every file. With a destination,
/// the copy goes through a backup set there, which stays.
/// </summary>
public sealed class MigrateJobKind : IJobKind
{
    public string Name => "migrate";

    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var results = await MigrateAsync(run, dryRun: false, cancellationToken);
        var differing = results.SelectMany(r => r.Volumes).Where(v => !v.Verified).ToList();
        if (differing.Count > 0)
        {
            throw new BackupAgentException($"the copy of {string.Join(", ", differing.Select(v => $"'{v.Source}'"))} on {run.Job.TargetEngine} differs from the source: {string.Join("; ", differing.SelectMany(v => v.Differences).Take(5))}");
        }

        return results.SelectMany(r => r.Problems).ToList() is { Count: > 0 } problems
            ? throw new BackupAgentException($"the migration to {run.Job.TargetEngine} is complete, but {string.Join("; ", problems)}")
            : new JobResult(results.Select(r => r.BackupSetId).OfType<string>().ToList(), results.SelectMany(r => r.Volumes).Sum(v => v.ContentBytes));
    }

    public async Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken) =>
        (await MigrateAsync(run, dryRun: true, cancellationToken))
            .SelectMany(r => r.Volumes.Select(v => $"copy volume {v.Source} to {v.Target} on {run.Job.TargetEngine}{(v.Created ? " (created)" : " (replacing its contents)")}"))
            .ToList();

    private static async Task<List<MigrateResult>> MigrateAsync(JobRun run, bool dryRun, CancellationToken cancellationToken)
    {
        var job = run.Job;
        var via = job.Destination is { Length: > 0 } ? run.OpenDestination() : null;
        await using var source = run.Factory.OpenEngine(run.Log);
        await using var target = run.Factory.OpenEngine(new EngineEndpoint(job.TargetEngine!) { Setting = Setting.TargetEngine }, run.Log);
        var requests = job.Sources.Containers.Select(c => new MigrateRequest([], c)).ToList();
        if (job.Sources.Volumes.Count > 0)
        {
            requests.Insert(0, new MigrateRequest(job.Sources.Volumes.Select(VolumeMapping.Parse).ToList(), null));
        }

        var results = new List<MigrateResult>();
        foreach (var request in requests)
        {
            // The operation takes the locks of the source and target volumes.
            var operation = new MigrateOperation(source, target, run.Factory.OpenStopper(source, run.Log), run.Log, TimeProvider.System, via) { Progress = run.Progress };
            results.Add(await operation.RunAsync(request with { Force = true, Stop = job.Stop, DryRun = dryRun }, cancellationToken));
        }

        return results;
    }
}
