using System.Collections.Concurrent;
using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using BackupAgent.Scheduling.Notifications;
using BackupAgent.Wiring;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// Runs one job once, however it was triggered (schedule, catch-up, run --once, backup --job): gives it a run ID and
/// a logger carrying job name and run ID, keeps to the global limit of concurrent runs, records the run in the
/// history, and tells its observers (<see cref="Observers"/>: the webhook, pings, metrics) when it starts and ends. Exceptions propagate after they are recorded, their messages in the job's terms (<see cref="JobTerms"/>).
/// </summary>
public sealed class JobRunner : IDisposable
{
    private readonly AgentOptions _options;
    private readonly AgentFactory _factory;
    private readonly ILogger _log;
    private readonly HttpClient _http = new();
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, JobOptions> _added = new(StringComparer.OrdinalIgnoreCase);

    public JobRunner(AgentOptions options, AgentFactory factory, ILogger log)
    {
        _options = options;
        _factory = factory;
        _log = log;
        History = new RunHistory(options.StateDirectory());
        var delivery = new HttpDelivery(_http);
        Observers.Add(new WebhookNotifier(options.Notifications.Webhook, delivery));
        Observers.Add(new PingNotifier(delivery));
        _slots = new SemaphoreSlim(options.Concurrency.MaxRuns);
    }

    public RunHistory History { get; }

    /// <summary>Told when each run starts and ends; add one to watch every run (the agent's metrics).</summary>
    public RunObservers Observers { get; } = new();

    /// <summary>The jobs of the file and those added by labels.</summary>
    public IReadOnlyList<JobOptions> Jobs => [.. _options.Jobs, .. _added.Values];

    /// <summary>Opens the engines and stores of every run.</summary>
    public AgentFactory Factory => _factory;

    /// <summary>Adds or replaces a job that is not in the file (a container's own, by labels).</summary>
    public void Register(JobOptions job) => _added[job.Name!] = job;

    public void Unregister(string name) => _added.TryRemove(name, out _);

    public JobOptions Find(string name) =>
        _options.Jobs.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? _added.GetValueOrDefault(name)
        ?? throw new BadInputException($"there is no job named '{name}' in {_options.SourceFile} (jobs: {string.Join(", ", _options.Jobs.Select(j => j.Name))})");

    /// <summary>What a run of the job would do; nothing is recorded, stopped or written.</summary>
    public async Task<IReadOnlyList<string>> DryRunAsync(string jobName, CancellationToken cancellationToken)
    {
        var job = Find(jobName);
        var kind = JobKinds.All.Single(k => string.Equals(k.Name, job.Kind, StringComparison.OrdinalIgnoreCase));
        var log = _log.ForContext("Job", job.Name).ForContext("RunScope", $"[{job.Name} dry run] ");
        try
        {
            return await kind.DryRunAsync(new JobRun(job, _options, "dry-run", log, _factory), cancellationToken);
        }
        catch (Exception e) when (JobTerms.Reworded(e) is var worded && worded != e)
        {
            throw worded;
        }
    }

    public async Task<RunRecord> RunAsync(string jobName, string trigger, CancellationToken cancellationToken, DateTimeOffset? scheduledFor = null)
    {
        var job = Find(jobName);
        var kind = JobKinds.All.Single(k => string.Equals(k.Name, job.Kind, StringComparison.OrdinalIgnoreCase));
        var runId = Guid.NewGuid().ToString("N")[..8];
        var log = _log.ForContext("Job", job.Name).ForContext("RunId", runId).ForContext("RunScope", $"[{job.Name} {runId}] ");

        await _slots.WaitAsync(cancellationToken);
        var record = new RunRecord(runId, job.Name!, trigger, DateTimeOffset.UtcNow) { ScheduledFor = scheduledFor };
        try
        {
            History.Save(record);
            log.Information("Job {Job} starts ({Trigger}), run {RunId}", job.Name, trigger, runId);
            await Observers.NotifyAsync(new RunNotice(job, record, log));
            var result = await kind.RunAsync(new JobRun(job, _options, runId, log, _factory), cancellationToken);
            record = record with { Outcome = RunOutcome.Succeeded, Sets = result.Sets, Bytes = result.Bytes, Warnings = result.Warnings, Downtimes = result.Downtimes, Copies = result.Copies, FinishedAt = DateTimeOffset.UtcNow };
            log.Information("Job {Job} succeeded: {Count} set(s), {Bytes} bytes in {Seconds:0.0} s", job.Name, result.Sets.Count, result.Bytes, record.Duration!.Value.TotalSeconds);
            return record;
        }
        catch (OperationCanceledException e)
        {
            record = record with { Outcome = RunOutcome.Cancelled, Error = e.Message, FinishedAt = DateTimeOffset.UtcNow };
            log.Warning("Job {Job} was cancelled; nothing partial is left visible", job.Name);
            throw;
        }
        catch (Exception e)
        {
            var worded = JobTerms.Reworded(e);
            record = record with { Outcome = RunOutcome.Failed, Error = worded.Message, FinishedAt = DateTimeOffset.UtcNow };
            if (e is PartialRunException { Done: var done })
            {
                record = record with { Sets = done.Sets, Bytes = done.Bytes, Warnings = done.Warnings, Downtimes = done.Downtimes, Copies = done.Copies };
            }
            log.Error("Job {Job} failed: {Error}", job.Name, worded.Message);
            if (worded != e)
            {
                throw worded;
            }

            throw;
        }
        finally
        {
            _slots.Release();
            History.Save(record);
            await Observers.NotifyAsync(new RunNotice(job, record, log));
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
    }
}
