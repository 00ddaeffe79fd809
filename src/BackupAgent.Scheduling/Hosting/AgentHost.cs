using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Cluster;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Monitoring;
using BackupAgent.Scheduling.Running;
using BackupAgent.Wiring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;
using Serilog;

namespace BackupAgent.Scheduling.Hosting;

/// <summary>
/// The long-running agent: a Generic Host with Quartz's hosted service, one cron trigger per configured job.
/// Stopping (the token: SIGTERM or Ctrl-C) cancels the running jobs and waits for them up to
/// concurrency.stopTimeoutSeconds; the backup operation removes its helpers and partial archives as it unwinds.
/// </summary>
public static class AgentHost
{
    public static async Task RunAsync(AgentOptions options, JobRunner runner, ILogger log, CancellationToken stop)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSerilog(log, dispose: false);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(runner);
        builder.Services.AddSingleton(log);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.Concurrency.StopTimeoutSeconds));
        await using var cluster = options.Cluster is { } clustered ? new ClusterDatabase(clustered) : null;
        var clusterState = cluster is null ? null : new ClusterState { Node = NodeName(options) };
        builder.Services.AddQuartz(quartz =>
        {
            quartz.UseDefaultThreadPool(options.Concurrency.MaxRuns);
            if (cluster is not null)
            {
                UseClusteredStore(quartz, options.Cluster!, cluster, clusterState!.Node);
                return;
            }

            foreach (var job in options.Jobs)
            {
                var key = new JobKey(job.Name!);
                quartz.AddJob<ScheduledJob>(j => j.WithIdentity(key).UsingJobData(ScheduledJob.JobNameKey, job.Name!));
                quartz.AddTrigger(t => t
                    .ForJob(key)
                    .WithIdentity($"{job.Name}-cron")
                    .WithCronSchedule(job.Cron!, CronPolicy(job)));
            }
        });
        if (cluster is not null)
        {
            // The node starts the scheduler itself, once its configuration is the cluster's; missed fires are Quartz's
            // misfires in the shared store (a catch-up per node would run them once per node).
            builder.Services.AddSingleton(cluster);
            builder.Services.AddSingleton(clusterState!);
            builder.Services.AddHostedService<ClusterMember>();
            runner.Observers.Add(new ClusterRuns(cluster, clusterState!.Node));
        }
        else
        {
            builder.Services.AddQuartzHostedService(q => q.WaitForJobsToComplete = true);
            builder.Services.AddHostedService<CatchUpService>();
        }

        builder.Services.AddHostedService<LabelledJobService>();

        using var host = builder.Build();
        var started = DateTimeOffset.UtcNow;
        runner.History.MarkInterrupted(started);
        if (clusterState is not null)
        {
            log.Information("Cluster mode: node {Node} on {Where}", clusterState.Node, ClusterDatabase.Describe(options.Cluster!));
        }

        await using var monitoring = StartMonitoring(options, runner, host.Services.GetRequiredService<ISchedulerFactory>(), started, clusterState, cluster, log);
        await RecoverStoppedContainersAsync(runner.Factory, log, stop);
        var counting = monitoring is null ? Task.CompletedTask : Task.Run(() => monitoring.Metrics.CountAsync(stop), CancellationToken.None);

        foreach (var job in cluster is null ? options.Jobs : [])
        {
            log.Information("Job {Job} ({Kind}) is scheduled {Cron} ({TimeZone}); next run {Next:u}", job.Name, job.Kind, job.Cron, job.TimeZone().Id, job.NextFireAfter(DateTimeOffset.UtcNow));
        }

        try
        {
            await host.RunAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while the host was still starting: as clean as a stop after start-up.
        }

        await counting;
        log.Information("The agent has stopped");
    }

    /// <summary>With metrics.listen: the metrics (an observer of every run) and the HTTP endpoint, listening already.</summary>
    private static MonitoringParts? StartMonitoring(AgentOptions options, JobRunner runner, ISchedulerFactory schedulers, DateTimeOffset started, ClusterState? cluster, ClusterDatabase? fleet, ILogger log)
    {
        if (options.Metrics.Listen is not { Length: > 0 } listen)
        {
            return null;
        }

        var metrics = new AgentMetrics(options, runner, log);
        metrics.Seed();
        var server = MonitoringServer.Start(ListenAddress.Parse(listen.Trim(), out _)!, metrics.Registry, new Readiness(runner, schedulers, started, log) { Cluster = cluster, Fleet = fleet }, log);
        runner.Observers.Add(metrics);
        return new MonitoringParts(metrics, server);
    }

    private sealed record MonitoringParts(AgentMetrics Metrics, MonitoringServer Server) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    /// <summary>
    /// Starts the containers that an agent which was killed left stopped (the journal), on every engine, before any job runs. An engine
    /// that does not answer yet is logged; every backup run recovers again before it stops anything.
    /// </summary>
    private static async Task RecoverStoppedContainersAsync(AgentFactory factory, ILogger log, CancellationToken cancellationToken)
    {
        foreach (var name in factory.EngineNames)
        {
            try
            {
                await using var engine = factory.OpenEngine(name, log);
                var recovery = await factory.OpenStopper(engine, log).RecoverAsync(cancellationToken);
                if (recovery.Started.Count > 0)
                {
                    log.Warning("Started again at start-up on {Engine}: {Containers} (left stopped by an agent that was killed)", engine.Endpoint, recovery.Started);
                }
            }
            catch (BackupAgentException e)
            {
                log.Error("Could not recover containers left stopped at start-up on engine {Engine}: {Error}", name ?? "(the agent's own)", JobTerms.Describe(e));
            }
        }
    }

    /// <summary>This node's name in the cluster: cluster.nodeName, else the host name.</summary>
    public static string NodeName(AgentOptions options) => options.Cluster?.NodeName is { Length: > 0 } name ? name : Environment.MachineName;

    /// <summary>
    /// Quartz's ADO job store on the cluster's PostgreSQL, clustered: one scheduler name for the fleet, the node's name
    /// as its instance ID (a node that restarts under its name recovers its own fired jobs at once), string job data.
    /// </summary>
    private static void UseClusteredStore(IQuartzBuilder quartz, ClusterOptions options, ClusterDatabase cluster, string node)
    {
        quartz.ConfigureScheduler(scheduler =>
        {
            scheduler.InstanceName = ClusterDatabase.SchedulerName;
            scheduler.InstanceId = node;
        });
        quartz.UsePersistentStore(store =>
        {
            store.ConfigureStore(ado =>
            {
                ado.StoreJobDataAsStrings = true;
                ado.DbRetryInterval = TimeSpan.FromSeconds(5);
            });
            store.UsePostgres(cluster.ConnectionString);
            store.UseSystemTextJsonSerializer();
            store.UseClustering(c =>
            {
                c.CheckinInterval = TimeSpan.FromSeconds(options.CheckinIntervalSeconds);
                c.CheckinMisfireThreshold = TimeSpan.FromSeconds(options.CheckinMisfireThresholdSeconds);
            });
        });
    }

    /// <summary>
    /// A job's trigger in its time zone. Late by more than the misfire threshold (60 s: all slots busy, the previous
    /// run still going): fire once now, then go on with the schedule; never once per missed time.
    /// </summary>
    public static Action<CronScheduleBuilder> CronPolicy(JobOptions job) => cron => cron
        .InTimeZone(job.TimeZone())
        .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed);
}
