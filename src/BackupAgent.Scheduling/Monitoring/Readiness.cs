using System.Text.Json.Serialization;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Running;
using Quartz;
using Serilog;

namespace BackupAgent.Scheduling.Monitoring;

/// <summary>What /readyz answers: ready when all three hold; otherwise the reasons, one sentence each.</summary>
public sealed record ReadinessReport(
    bool Ready,
    IReadOnlyList<string> Reasons,
    ReadinessCheck Engine,
    ReadinessCheck Scheduler,
    IReadOnlyList<JobReadiness> Jobs);

public sealed record ReadinessCheck(bool Ok, string Detail);

public sealed record JobReadiness(
    string Job,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? LastSuccess,
    double ExpectedIntervalSeconds,
    bool Overdue);

/// <summary>
/// The readiness of the scheduled agent: the engine answers (docker info, 5 s at most), the scheduler runs, and no
/// job is overdue, i.e. none has gone more than twice its expected interval (<see cref="Schedules.ExpectedInterval"/>)
/// since its last success, or since the agent started when it never succeeded.
/// </summary>
public sealed class Readiness(JobRunner runner, ISchedulerFactory schedulers, DateTimeOffset agentStarted, ILogger log)
{
    private static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(5);

    /// <summary>In cluster mode: what is wrong with this node (its configuration differs, its clock is off, PostgreSQL does not answer).</summary>
    public Cluster.ClusterState? Cluster { get; init; }

    /// <summary>In cluster mode: the fleet's history, where a job's last success is (whichever node ran it).</summary>
    public Cluster.ClusterDatabase? Fleet { get; init; }

    public async Task<ReadinessReport> CheckAsync(CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        var engine = await CheckEngineAsync(cancellationToken);
        if (!engine.Ok)
        {
            reasons.Add(engine.Detail);
        }

        var scheduler = await CheckSchedulerAsync(cancellationToken);
        if (!scheduler.Ok)
        {
            reasons.Add(scheduler.Detail);
        }

        reasons.AddRange(Cluster?.Problems ?? []);
        var now = DateTimeOffset.UtcNow;
        var jobs = new List<JobReadiness>();
        foreach (var job in runner.Jobs)
        {
            if (job.ExpectedInterval(now) is not { } interval)
            {
                continue;
            }

            var last = Fleet is null ? runner.History.LastSucceeded(job.Name!)?.FinishedAt : await FleetLastSuccessAsync(job.Name!, cancellationToken);
            var since = last ?? agentStarted;
            var overdue = now - since > 2 * interval;
            jobs.Add(new JobReadiness(job.Name!, last, interval.TotalSeconds, overdue));
            if (overdue)
            {
                reasons.Add(last is { } l
                    ? $"job {job.Name} is overdue: its last success was at {l:u}, more than twice its interval of {interval.TotalSeconds:0} s ago"
                    : $"job {job.Name} is overdue: it has not succeeded since the agent started at {agentStarted:u}, more than twice its interval of {interval.TotalSeconds:0} s ago");
            }
        }

        return new ReadinessReport(reasons.Count == 0, reasons, engine, scheduler, jobs);
    }

    private async Task<DateTimeOffset?> FleetLastSuccessAsync(string job, CancellationToken cancellationToken)
    {
        try
        {
            return await Fleet!.LastSucceededAsync(job, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // PostgreSQL not answering is the cluster's own reason (ClusterState); the job is not called overdue for it.
            return DateTimeOffset.UtcNow;
        }
    }

    private async Task<ReadinessCheck> CheckEngineAsync(CancellationToken cancellationToken)
    {
        var endpoint = runner.Factory.Settings.Engine.Address;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(EngineTimeout);
            await using var engine = runner.Factory.OpenEngine(log);
            await engine.GetIdentityAsync(timeout.Token);
            return new ReadinessCheck(true, $"the Docker engine at {endpoint} answers");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var why = e is OperationCanceledException ? $"no answer within {EngineTimeout.TotalSeconds:0} s" : JobTerms.Describe(e);
            return new ReadinessCheck(false, $"the Docker engine at {endpoint} does not answer: {why}");
        }
    }

    private async Task<ReadinessCheck> CheckSchedulerAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await scheduler.GetStatus(cancellationToken) switch
        {
            SchedulerStatus.Running => new ReadinessCheck(true, "the scheduler runs"),
            SchedulerStatus.Created => new ReadinessCheck(false, "the scheduler has not started yet"),
            SchedulerStatus.Standby => new ReadinessCheck(false, "the scheduler is in standby"),
            var status => new ReadinessCheck(false, $"the scheduler is {status.ToString().ToLowerInvariant()}"),
        };
    }
}
