using BackupAgent.Scheduling.Running;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace BackupAgent.Scheduling.Hosting;

/// <summary>
/// The Quartz job: thin. It reads the job name (a string) from the JobDataMap and hands over to
/// <see cref="JobRunner"/>, passing on a token that is cancelled when the scheduler interrupts it or the agent stops.
/// No two runs of one job overlap: a trigger that fires while the job runs waits for it.
/// </summary>
[DisallowConcurrentExecution]
public sealed class ScheduledJob(JobRunner runner, IHostApplicationLifetime lifetime) : IJob
{
    public const string JobNameKey = "job";
    public const string TriggerKey = "trigger";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.MergedJobDataMap.GetString(JobNameKey)!;
        var trigger = context.MergedJobDataMap.GetString(TriggerKey) ?? (context.Recovering ? "recovery" : "schedule");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await runner.RunAsync(name, trigger, stop.Token, context.ScheduledFireTimeUtc);
        }
        catch (Exception)
        {
            // Logged, recorded and notified by the runner; the next fire time stands.
        }
    }
}
