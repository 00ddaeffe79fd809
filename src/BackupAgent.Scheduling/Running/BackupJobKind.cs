using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Discovery;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// kind: backup. One backup set for the listed volumes, and one per container (listed, matched by the label selector,
/// or joining by label), each read under the locks of its volumes (which the backup operation takes). One failing source does not stop the others; the
/// run fails when any failed.
/// </summary>
public sealed class BackupJobKind : IJobKind
{
    public string Name => "backup";

    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var job = run.Job;
        var store = run.OpenDestination();
        await using var engine = run.Factory.OpenEngine(run.Log);
        var compression = Compressions.Parse(job.Compression);
        var requests = await PlanAsync(engine, run, compression, cancellationToken);

        var sets = new List<string>();
        var warnings = new List<string>();
        var downtimes = new List<string>();
        long bytes = 0;
        var failures = new List<Exception>();
        foreach (var request in requests)
        {
            var what = request.Container is { } c ? $"container {c}" : $"volume(s) {string.Join(", ", request.Volumes)}";
            try
            {
                var operation = new BackupOperation(engine, store, run.Factory.OpenStopper(engine, run.Log), run.Log, TimeProvider.System) { Progress = run.Progress };
                var set = await operation.RunAsync(
                    request with
                    {
                        Stop = job.Stop,
                        Key = JobKeys.Of(job),
                        PreHooks = HooksOf(job, pre: true),
                        PostHooks = HooksOf(job, pre: false),
                        Excludes = job.Exclude,
                        Chain = ChainOf(job),
                    },
                    cancellationToken);
                sets.Add(set.Id);
                warnings.AddRange(set.Warnings);
                downtimes.AddRange(set.Downtimes.Select(d => $"{d.Container} {d.Seconds:0.###} s"));
                bytes += set.Archives.Sum(a => a.Bytes);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                run.Log.Error("Backing up {Source} failed: {Error}", what, JobTerms.Describe(e));
                failures.Add(new BackupAgentException($"{what}: {JobTerms.Describe(e)}", e is BackupAgentException b ? b.Kind : FailureKind.OperationFailed, e));
            }
        }

        // Each new set goes to each copy destination, once it is complete here.
        var copies = new List<string>();
        foreach (var id in sets)
        {
            var copied = await JobCopies.CopyAsync(run, store, new CopyRequest(id, null, DryRun: false), cancellationToken);
            copies.AddRange(copied.Lines);
            failures.AddRange(copied.Problems.Select(p => new BackupAgentException($"backup set {id} is complete at {store.Location}, but {p}")));
        }

        // With keep rules, the job's retention applies to its destination and to each copy destination, each on its own sets.
        if (sets.Count > 0 && !PruneJobKind.PolicyOf(job.Keep).IsEmpty)
        {
            var pruned = await PruneJobKind.EachAsync(run, ownFailureFailsAll: false, cancellationToken);
            copies.AddRange(pruned.Lines);
            failures.AddRange(pruned.Failures.Select(f => new BackupAgentException($"the backups are complete, but {f}")));
        }

        var result = new JobResult(sets, bytes) { Warnings = warnings, Downtimes = downtimes, Copies = copies };
        var failedBackups = requests.Count - sets.Count;
        Exception? failure = failures switch
        {
            [] => null,
            [var only] when requests.Count == 1 => only,
            _ when failures.Count > failedBackups => new BackupAgentException(
                $"job {job.Name}: {failedBackups} of {requests.Count} backups failed, and {failures.Count - failedBackups} copies or prunes: {string.Join("; ", failures.Select(f => f.Message))}"),
            _ => new BackupAgentException($"{failures.Count} of {requests.Count} backups of job {job.Name} failed: {string.Join("; ", failures.Select(f => f.Message))}"),
        };
        return failure switch
        {
            null => result,
            _ when sets.Count > 0 => throw PartialRunException.Of(failure, result),
            _ => throw failure,
        };
    }

    /// <summary>The job's incremental: section as a chain request (null: plain full sets).</summary>
    internal static ChainRequest? ChainOf(JobOptions job) => job.Incremental is not { } incremental ? null : new ChainRequest(Incremental: !incremental.FullNow)
    {
        FullEvery = incremental.FullEvery,
        NextFullAfter = string.IsNullOrWhiteSpace(incremental.FullCron) ? null
            : new Quartz.CronExpression(incremental.FullCron, job.TimeZone()).GetNextValidTimeAfter,
    };

    /// <summary>Makes the next run of <paramref name="job"/> (in this process) a new full that starts a chain; false when the job makes no incremental sets.</summary>
    public static bool ForceFull(AgentOptions options, string job)
    {
        var found = options.Jobs.FirstOrDefault(j => string.Equals(j.Name, job, StringComparison.OrdinalIgnoreCase));
        if (found?.Incremental is not { } incremental)
        {
            return false;
        }

        incremental.FullNow = true;
        return true;
    }

    public async Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var job = run.Job;
        var store = run.OpenDestination();
        await using var engine = run.Factory.OpenEngine(run.Log);
        var lines = new List<string>();
        foreach (var request in await PlanAsync(engine, run, Compressions.Parse(job.Compression), cancellationToken))
        {
            var full = request with { Stop = job.Stop, PreHooks = HooksOf(job, pre: true), PostHooks = HooksOf(job, pre: false), Excludes = job.Exclude };
            var plan = await new BackupOperation(engine, store, run.Factory.OpenStopper(engine, run.Log), run.Log, TimeProvider.System).PlanAsync(full, cancellationToken);
            lines.Add($"a backup set at {store.Location}: {string.Join(", ", plan.Sources.Select(s => $"{s.Kind.ToString().ToLowerInvariant()} {s.Volume}"))}");
            var stop = plan.Consistency.Stop.Select(c => c.Name).ToList();
            lines.Add(stop.Count == 0 ? "  no container is stopped" : $"  stop, in this order: {string.Join(", ", stop)}; start again: {string.Join(", ", Enumerable.Reverse(stop))}");
            lines.AddRange(plan.Consistency.PreHooks.Select(h => $"  pre-backup hook in {h.Container}: {h.Command}"));
            lines.AddRange(plan.Consistency.PostHooks.Select(h => $"  post-backup hook in {h.Container}: {h.Command}"));
            lines.AddRange(plan.Sources.SelectMany(s => s.Excludes.Select(p => $"  leave out of {s.Volume}: {p}")));
        }

        lines.AddRange(job.Copies.Select(c => $"copy each new set to {c}"));
        if (!PruneJobKind.PolicyOf(job.Keep).IsEmpty)
        {
            lines.Add($"then prune {string.Join(", ", job.Copies.Prepend(job.Destination))} with the job's keep rules");
        }

        return lines;
    }

    private static List<Hook> HooksOf(JobOptions job, bool pre) => job.Hooks
        .Where(h => (pre ? h.Pre : h.Post) is { Length: > 0 })
        .Select(h => new Hook(h.Container!, (pre ? h.Pre : h.Post)!, h.User, TimeSpan.FromSeconds(h.TimeoutSeconds), pre && h.OnError == "fail"))
        .ToList();

    private static async Task<List<BackupRequest>> PlanAsync(IContainerEngine engine, JobRun run, Compression compression, CancellationToken cancellationToken)
    {
        var sources = run.Job.Sources;
        var containers = new List<string>(sources.Containers);
        if (sources.LabelSelector is { } selector)
        {
            containers.AddRange(await ContainerLabels.MatchingAsync(engine, selector, cancellationToken));
        }

        var joining = await ContainerLabels.JoiningAsync(engine, run.Job.Name!, cancellationToken);
        if (joining.Count > 0)
        {
            run.Log.Information("Containers labelled {Label}={Job}: {Containers}", ContainerLabels.Job, run.Job.Name, joining);
        }

        containers.AddRange(joining);
        var requests = containers.Distinct(StringComparer.Ordinal).Select(c => new BackupRequest([], c, compression)).ToList();
        if (sources.Volumes.Count > 0)
        {
            requests.Insert(0, new BackupRequest(sources.Volumes, null, compression));
        }

        if (requests.Count == 0 && sources.IsEmpty)
        {
            run.Log.Information("Job {Job} names no sources: backing up the demo volume {Volume}", run.Job.Name, DemoVolume.Name);
            await engine.PrepareAsync(cancellationToken);
            await DemoVolume.EnsureAsync(engine, run.Log, cancellationToken);
            requests.Add(new BackupRequest([DemoVolume.Name], null, compression));
        }
        else if (requests.Count == 0)
        {
            run.Log.Warning("Job {Job}: no container matches its label selector {Selector} now; nothing to back up", run.Job.Name, sources.LabelSelector);
        }

        return requests;
    }
}
