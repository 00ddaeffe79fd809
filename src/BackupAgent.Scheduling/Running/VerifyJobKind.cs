using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// kind: verify. Checks the newest set at the job's destination (as backup-agent verify); with deep: true, a restore
/// drill into a scratch volume. A damaged set fails the run, so it shows in the history and notifies.
/// </summary>
public sealed class VerifyJobKind : IJobKind
{
    public string Name => "verify";

    public Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(
            [$"verify the newest backup set at {run.Destination}{(run.Job.Deep ? ", restoring it into a scratch volume and comparing every file" : "")}"]);

    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var job = run.Job;
        var store = run.OpenDestination();
        await using var engine = job.Deep ? run.Factory.OpenEngine(run.Log) : null;
        var result = await new VerifyOperation(store, run.Log, engine) { Progress = run.Progress }.RunAsync("latest", JobKeys.Of(job), cancellationToken);
        var failures = new List<string>();
        if (result.Archives.SelectMany(a => a.Problems).ToList() is { Count: > 0 } problems)
        {
            failures.Add($"backup set {result.Set.Id} failed verification: {string.Join("; ", problems)}");
        }

        failures.AddRange(result.Unreadable.Select(u => u.Reason));
        return failures.Count > 0
            ? throw new BackupAgentException(string.Join("; ", failures))
            : new JobResult([result.Set.Id], result.Set.Archives.Sum(a => a.Bytes));
    }
}
