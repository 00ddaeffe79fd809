using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Running;
using Microsoft.Extensions.Hosting;
using Quartz;
using Serilog;

namespace BackupAgent.Scheduling.Hosting;

/// <summary>
/// The misfire policy after downtime: a job whose schedule fired at least once since its last recorded run (the agent
/// was down) runs once at start-up, not once per missed time. Jobs with catchUp: false, and jobs that never ran, wait
/// for their next fire time.
/// </summary>
internal sealed class CatchUpService(AgentOptions options, JobRunner runner, ISchedulerFactory schedulers, ILogger log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var job in options.Jobs.Where(j => j.CatchUp))
        {
            if (runner.History.Last(job.Name!) is { } last && job.MissedSince(last.StartedAt, now) is { } missed)
            {
                log.Information("Job {Job} missed its run at {Missed:u} (last run {Last:u}): running it once now", job.Name, missed, last.StartedAt);
                await scheduler.TriggerJob(new JobKey(job.Name!), new JobDataMap { [ScheduledJob.TriggerKey] = "catch-up" }, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
