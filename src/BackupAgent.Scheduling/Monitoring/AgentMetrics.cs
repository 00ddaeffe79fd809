using BackupAgent.Core.Consistency;
using BackupAgent.Core.Sets;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using BackupAgent.Scheduling.Running;
using Prometheus;
using Serilog;
using Serilog.Events;

namespace BackupAgent.Scheduling.Monitoring;

/// <summary>
/// The agent's Prometheus metrics (prometheus-net, a registry of its own), all recorded here: an observer of every
/// run of the <see cref="JobRunner"/>, seeded at start-up from the run history, the stop journal and the
/// destinations, so that a restart does not blank the "last success" an alert watches.
/// </summary>
public sealed class AgentMetrics : IRunObserver
{
    private readonly AgentOptions _options;
    private readonly JobRunner _runner;
    private readonly ILogger _log;
    private readonly Counter _runs;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _lastRun;
    private readonly Histogram _duration;
    private readonly Gauge _bytes;
    private readonly Gauge _sets;
    private readonly Gauge _interval;
    private readonly Gauge _leftStopped;
    private int _running;

    public AgentMetrics(AgentOptions options, JobRunner runner, ILogger log)
    {
        _options = options;
        _runner = runner;
        _log = log;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _runs = factory.CreateCounter("backupagent_job_runs_total", "Runs of a job that ended, by kind and result (succeeded, failed, cancelled).", "job", "kind", "result");
        _lastSuccess = factory.CreateGauge("backupagent_job_last_success_timestamp_seconds", "When the last successful run of a job ended (Unix time); set only by a success.", "job");
        _lastRun = factory.CreateGauge("backupagent_job_last_run_timestamp_seconds", "When the last run of a job ended, whatever its result (Unix time).", "job");
        _duration = factory.CreateHistogram("backupagent_job_duration_seconds", "How long the runs of a job took.", new HistogramConfiguration
        {
            LabelNames = ["job"],
            Buckets = Histogram.ExponentialBuckets(1, 4, 10), // 1 s to 3 days
        });
        _bytes = factory.CreateGauge("backupagent_job_bytes", "The bytes the last run of a job wrote (the stored size of its backup sets).", "job");
        _sets = factory.CreateGauge("backupagent_backup_sets", "The complete backup sets in a destination, counted after each backup or prune run into it.", "destination");
        _interval = factory.CreateGauge("backupagent_job_expected_interval_seconds", "The longest gap between two scheduled runs of a job (from its cron).", "job");
        _leftStopped = factory.CreateGauge("backupagent_containers_left_stopped", "Containers a run stopped that were not started again (in the stop journal, their run over).");
    }

    public CollectorRegistry Registry { get; }

    /// <summary>What the history and the schedules tell before any run: call once at start-up, before the first run.</summary>
    public void Seed()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var job in _options.Jobs)
        {
            SetInterval(job, now);
            if (_runner.History.LastSucceeded(job.Name!) is { FinishedAt: { } succeeded })
            {
                _lastSuccess.WithLabels(job.Name!).Set(Seconds(succeeded));
            }

            if (_runner.History.Last(job.Name!) is { FinishedAt: { } ended } last)
            {
                _lastRun.WithLabels(job.Name!).Set(Seconds(ended));
                _bytes.WithLabels(job.Name!).Set(last.Bytes);
            }
        }

    }

    /// <summary>Counts, beside the first runs, what the stop journal and the destinations hold at start-up; never throws.</summary>
    public async Task CountAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CountLeftStoppedAsync(_log, cancellationToken);
            foreach (var job in _options.Jobs.Where(CountsSets).DistinctBy(j => j.Destination, StringComparer.Ordinal))
            {
                await CountSetsAsync(job, _log, quiet: true, cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning("Could not count the containers left stopped for the metrics: {Error}", JobTerms.Describe(e));
        }
        catch (OperationCanceledException)
        {
            // The agent stops.
        }
    }

    public async Task ObserveAsync(RunNotice notice)
    {
        var (job, run) = (notice.Job, notice.Run);
        if (notice.HasStarted)
        {
            Interlocked.Increment(ref _running);
            SetInterval(job, run.StartedAt);
            return;
        }

        Interlocked.Decrement(ref _running);
        var ended = run.FinishedAt ?? DateTimeOffset.UtcNow;
        _runs.WithLabels(job.Name!, job.Kind.ToLowerInvariant(), run.Outcome.ToString().ToLowerInvariant()).Inc();
        _lastRun.WithLabels(job.Name!).Set(Seconds(ended));
        _bytes.WithLabels(job.Name!).Set(run.Bytes);
        _duration.WithLabels(job.Name!).Observe((ended - run.StartedAt).TotalSeconds);
        if (run.Outcome == RunOutcome.Succeeded)
        {
            _lastSuccess.WithLabels(job.Name!).Set(Seconds(ended));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await CountLeftStoppedAsync(notice.Log, timeout.Token);
        if (CountsSets(job))
        {
            await CountSetsAsync(job, notice.Log, quiet: false, timeout.Token);
        }
    }

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Backups and prunes change the sets in their destination (a migration's optional one is not counted).</summary>
    private static bool CountsSets(JobOptions job) =>
        job.Destination is { Length: > 0 } && job.Kind.ToLowerInvariant() is "backup" or "prune";

    private void SetInterval(JobOptions job, DateTimeOffset now)
    {
        if (job.ExpectedInterval(now) is { } interval)
        {
            _interval.WithLabels(job.Name!).Set(interval.TotalSeconds);
        }
    }

    /// <summary>
    /// The containers in the stop journal whose run is over: their agent died, or it is this one and no run goes on
    /// (a restart that failed). Containers stopped by a run in progress are not counted.
    /// </summary>
    private async Task CountLeftStoppedAsync(ILogger log, CancellationToken cancellationToken)
    {
        var journal = _runner.Factory.OpenJournal(log);
        IReadOnlyList<JournalEntry> entries;
        using (await journal.LockAsync(cancellationToken))
        {
            entries = journal.Read();
        }

        var idle = Volatile.Read(ref _running) == 0;
        _leftStopped.Set(entries.Where(e => !e.OwnerAlive || (idle && e.Owner == ProcessIdentity.Current)).Sum(e => e.Containers.Count));
    }

    /// <summary>Counts the sets in the job's destination; <paramref name="quiet"/> (at start-up, when it may not exist yet) logs a failure at Debug.</summary>
    private async Task CountSetsAsync(JobOptions job, ILogger log, bool quiet, CancellationToken cancellationToken)
    {
        try
        {
            var dest = Destinations.Resolve(_options, job.Destination!)!;
            var store = _runner.Factory.OpenStore(dest, $"the destination of job {job.Name}", forWriting: false, log);
            var sets = await new BackupCatalog(store).ListAsync(null, cancellationToken);
            _sets.WithLabels(job.Destination!).Set(sets.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.Write(quiet ? LogEventLevel.Debug : LogEventLevel.Warning, "Could not count the backup sets in {Destination} for the metrics: {Error}", job.Destination, JobTerms.Describe(e));
        }
    }
}
