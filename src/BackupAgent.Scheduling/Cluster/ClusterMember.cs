using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Discovery;
using BackupAgent.Scheduling.Hosting;
using BackupAgent.Scheduling.Running;
using Microsoft.Extensions.Hosting;
using Quartz;
using Serilog;

namespace BackupAgent.Scheduling.Cluster;

/// <summary>What is wrong with this node of the cluster now (each one sentence), for /readyz and the log.</summary>
public sealed class ClusterState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);

    public required string Node { get; init; }

    /// <summary>Whether this node schedules and runs jobs: it reached PostgreSQL and its configuration is the cluster's.</summary>
    public bool Scheduling { get; set; }

    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_lock)
            {
                return [.. _problems.Values];
            }
        }
    }

    /// <summary>Sets (or, with null, clears) the problem of one kind; true when that changed it.</summary>
    public bool Set(string kind, string? problem)
    {
        lock (_lock)
        {
            var had = _problems.GetValueOrDefault(kind);
            if (problem is null)
            {
                _problems.Remove(kind);
            }
            else
            {
                _problems[kind] = problem;
            }

            return had != problem;
        }
    }
}

/// <summary>
/// A node of the cluster, in place of Quartz's hosted service: creates the schema when it is missing, joins with its
/// configuration hash, and only when that is the cluster's syncs the file's jobs into Quartz's clustered store (the
/// file is the source of truth: a job no longer in it is deleted) and starts the scheduler. A node whose configuration
/// differs is flagged (status, /readyz) and schedules nothing, so no job runs twice under two definitions; it checks
/// again every tick and takes over once no live node holds the old configuration. Every tick it also checks its
/// clock against PostgreSQL's now() (Quartz's check-ins need clocks within about a second) and marks the runs of dead
/// nodes abandoned. Quartz's check-in runs on its own thread, never on the job threads.
/// </summary>
internal sealed class ClusterMember(AgentOptions options, ISchedulerFactory schedulers, ClusterDatabase database, ClusterState state, ILogger log) : BackgroundService
{
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(1);

    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly string _hash = ConfigHash.Of(options);
    private IScheduler? _scheduler;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var where = ClusterDatabase.Describe(options.Cluster!);
        var ticks = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (ticks++ == 0 || state.Problems.Count > 0 || !state.Scheduling || ticks % 4 == 0)
                {
                    await CheckClockAsync(stoppingToken);
                }

                if (!state.Scheduling)
                {
                    await JoinAsync(stoppingToken);
                }

                // It answered (the clock check, the join): what the node records now is what is wrong with it now.
                if (state.Set("database", null))
                {
                    log.Information("Cluster node {Node} reaches {Where} again", state.Node, where);
                }

                await database.SeenAsync(state.Node, _skewMs, state.Problems.FirstOrDefault(), stoppingToken);
                var abandoned = await database.AbandonDeadRunsAsync(state.Node, _started, Dead, stoppingToken);
                if (abandoned > 0)
                {
                    log.Warning("Marked {Count} run(s) abandoned: their node stopped checking in during the run (Quartz runs their jobs again on a live node)", abandoned);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (state.Set("database", $"the cluster's {where} does not answer: {JobTerms.Describe(e)}"))
                {
                    log.Warning("Cluster node {Node}: {Where} does not answer, retrying every {Seconds:0} s: {Error}", state.Node, where, Tick.TotalSeconds, JobTerms.Describe(e));
                }
            }

            try
            {
                await Task.Delay(Tick, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>A node not checked in for this long is taken for dead (Quartz recovers its jobs sooner: within its check-in interval plus threshold).</summary>
    private TimeSpan Dead => TimeSpan.FromSeconds(options.Cluster!.CheckinIntervalSeconds + options.Cluster.CheckinMisfireThresholdSeconds) + TimeSpan.FromSeconds(5);

    private double? _skewMs;

    private async Task CheckClockAsync(CancellationToken cancellationToken)
    {
        var skew = await database.ClockSkewAsync(cancellationToken);
        _skewMs = Math.Round(skew.TotalMilliseconds, 1);
        var problem = skew.Duration() > MaxSkew
            ? $"this host's clock is {skew.Duration().TotalSeconds:0.0} s {(skew > TimeSpan.Zero ? "ahead of" : "behind")} PostgreSQL's now(): Quartz's clustering needs clocks within about 1 s (run NTP on every node)"
            : null;
        if (state.Set("clock", problem) && problem is not null)
        {
            log.Warning("Cluster node {Node}: {Problem}", state.Node, problem);
        }
    }

    private async Task JoinAsync(CancellationToken cancellationToken)
    {
        await database.EnsureSchemaAsync(cancellationToken);
        var (agrees, clusterHash) = await database.JoinAsync(state.Node, _hash, Dead + Tick, cancellationToken);
        if (!agrees)
        {
            if (state.Set("config", $"this node's configuration (hash {_hash}) differs from the cluster's (hash {clusterHash}): it schedules no job until it has the same file, or no live node has the old one"))
            {
                log.Warning("Cluster node {Node}: its configuration (hash {Hash}) differs from the cluster's ({ClusterHash}); it runs no job, so that none runs twice under two definitions", state.Node, _hash, clusterHash);
            }

            return;
        }

        state.Set("config", null);
        _scheduler = await schedulers.GetScheduler(cancellationToken);
        await SyncJobsAsync(_scheduler, cancellationToken);
        await _scheduler.Start(cancellationToken);
        state.Scheduling = true;
        log.Information("Cluster node {Node} joined with configuration {Hash}: {Count} job(s) in the shared store", state.Node, _hash, options.Jobs.Count);
    }

    /// <summary>The file's jobs into the store: a job whose trigger is the same stays as it is (its next fire time too); others are replaced; those no longer in the file are deleted.</summary>
    private async Task SyncJobsAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        foreach (var job in options.Jobs)
        {
            var key = new JobKey(job.Name!);
            var triggerKey = new TriggerKey($"{job.Name}-cron");
            if (await scheduler.GetTrigger(triggerKey, cancellationToken) is ICronTrigger existing &&
                await scheduler.GetJobDetail(key, cancellationToken) is { RequestsRecovery: true } &&
                existing.CronExpressionString == job.Cron && existing.TimeZone.Id == job.TimeZone().Id)
            {
                continue;
            }

            var detail = JobBuilder.Create<ScheduledJob>().WithIdentity(key).UsingJobData(ScheduledJob.JobNameKey, job.Name!).RequestRecovery().Build();
            var trigger = TriggerBuilder.Create().WithIdentity(triggerKey).ForJob(key).WithCronSchedule(job.Cron!, AgentHost.CronPolicy(job)).Build();
            await scheduler.ScheduleJob(detail, [trigger], ScheduleJobOptions.Replacing, cancellationToken);
            log.Information("Job {Job} is in the cluster's store: {Cron}", job.Name, job.Cron);
        }

        var configured = options.Jobs.Select(j => j.Name!).ToHashSet(StringComparer.Ordinal);
        var stored = new List<JobKey>();
        for (var page = new JobQuery { Take = 500 }; ; page = new JobQuery { Skip = page.Skip + page.Take, Take = page.Take })
        {
            var result = await scheduler.QueryJobs(page, cancellationToken);
            stored.AddRange(result.Items.Select(h => h.Key));
            if (!result.HasMore)
            {
                break;
            }
        }

        foreach (var key in stored)
        {
            if (!configured.Contains(key.Name) && !key.Name.StartsWith(LabelledJobs.NamePrefix, StringComparison.Ordinal))
            {
                await scheduler.DeleteJob(key, cancellationToken);
                log.Information("Job {Job} is no longer in the configuration: deleted from the cluster's store", key.Name);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_scheduler is { Status: SchedulerStatus.Running or SchedulerStatus.Standby } scheduler)
        {
            // As Quartz's hosted service does with WaitForJobsToComplete: the running jobs are cancelled (the host stops) and awaited.
            await scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
        }

        try
        {
            await database.SeenAsync(state.Node, _skewMs, ClusterDatabase.Left, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.Warning("Cluster node {Node} could not record that it left: {Error}", state.Node, JobTerms.Describe(e));
        }
    }
}
