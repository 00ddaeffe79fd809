using BackupAgent.Scheduling.Cluster;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Discovery;
using BackupAgent.Scheduling.Running;
using Microsoft.Extensions.Hosting;
using Quartz;
using Serilog;

namespace BackupAgent.Scheduling.Hosting;

/// <summary>
/// Every discovery.intervalSeconds, lists the containers that define their own job by labels, and schedules, reschedules
/// or removes their Quartz jobs to match. A container with bad labels is logged (once per change) and skipped.
/// </summary>
internal sealed class LabelledJobService(AgentOptions options, JobRunner runner, ISchedulerFactory schedulers, ILogger log, ClusterState? cluster = null) : BackgroundService
{
    private readonly Dictionary<string, string> _scheduled = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _engines = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Discovery.IntervalSeconds));
        do
        {
            try
            {
                await SyncAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Warning("Looking for containers with their own schedule failed: {Error}", JobTerms.Describe(e));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (cluster is { Scheduling: false })
        {
            // A node that is not (yet) scheduling writes nothing into the cluster's store.
            return;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var found = new List<LabelledJob>();
        var unreachable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in runner.Factory.EngineNames)
        {
            try
            {
                await using var engine = runner.Factory.OpenEngine(name, log);
                found.AddRange(await LabelledJobs.FindAsync(engine, options, cancellationToken, name));
            }
            catch (Exception e) when (e is not OperationCanceledException && name is not null)
            {
                // The jobs found there before stay scheduled: an engine that is away for a while loses nothing.
                unreachable.Add(name);
                log.Warning("Looking for containers with their own schedule on engine {Engine} failed: {Error}", name, JobTerms.Describe(e));
            }
        }

        foreach (var bad in found.Where(f => f.Job is null))
        {
            if (_reported.Add($"{bad.Container}:{string.Join('|', bad.Problems)}"))
            {
                log.Warning("Container {Container} asks for its own schedule, but its labels are wrong: {Problems}", bad.Container, bad.Problems);
            }
        }

        var wanted = found.Where(f => f.Job is not null).ToDictionary(f => f.Job!.Name!, f => f.Job!, StringComparer.Ordinal);
        foreach (var (name, job) in wanted)
        {
            var signature = $"{job.Cron}|{job.Destination}";
            if (_scheduled.TryGetValue(name, out var current) && current == signature)
            {
                continue;
            }

            runner.Register(job);
            var key = new JobKey(name);
            var detail = JobBuilder.Create<ScheduledJob>().WithIdentity(key).UsingJobData(ScheduledJob.JobNameKey, name).Build();
            var trigger = TriggerBuilder.Create<ScheduledJob>(TimeProvider.System).WithIdentity($"{name}-cron").ForJob(key)
                .WithCronSchedule(job.Cron!, AgentHost.CronPolicy(job)).Build();
            await scheduler.ScheduleJob(detail, [trigger], ScheduleJobOptions.Replacing, cancellationToken);
            _scheduled[name] = signature;
            _engines[name] = job.Engine;
            log.Information("Container {Container} has its own job {Job}: {Cron} to {Destination}; next run {Next:u}",
                job.Sources.Containers[0], name, job.Cron, job.Destination, job.NextFireAfter(DateTimeOffset.UtcNow));
        }

        foreach (var gone in _scheduled.Keys.Where(n => !wanted.ContainsKey(n) && !unreachable.Contains(_engines.GetValueOrDefault(n) ?? "")).ToList())
        {
            await scheduler.DeleteJob(new JobKey(gone), cancellationToken);
            runner.Unregister(gone);
            _scheduled.Remove(gone);
            _engines.Remove(gone);
            log.Information("Job {Job} is removed: its container is gone or no longer labelled", gone);
        }
    }
}
