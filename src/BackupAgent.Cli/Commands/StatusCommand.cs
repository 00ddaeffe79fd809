using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;

namespace BackupAgent.Cli.Commands;

public sealed class StatusCommand : ICommand
{
    public string Name => "status";

    public string Summary => "each configured job's schedule, next run and last run";

    public string Details => """
        Shows each configured job: its schedule and next fire time, and its last run from the run history (outcome, duration, size). The history survives restarts; the agent need not be running. In cluster mode (cluster:), the whole fleet from PostgreSQL: the nodes with their last check-in and what is wrong with them, and for each job the node, outcome, duration and bytes of its last run.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        AgentSetup.ConfigOption(),
        CliOption.Flag("--json", "print an array of job statuses as JSON on stdout"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var options = AgentSetup.LoadConfig(args);
        if (options.Cluster is not null)
        {
            return await ClusterStatus.WriteAsync(options, args.Flag("--json"), context, cancellationToken);
        }

        var history = new RunHistory(options.StateDirectory());
        var now = DateTimeOffset.UtcNow;
        var jobs = options.Jobs.Select(j => new JobStatus(j.Name!, j.Kind, j.Cron!, j.TimeZone().Id, j.NextFireAfter(now), history.Last(j.Name!))).ToList();
        if (args.Flag("--json"))
        {
            context.WriteJson(jobs);
            return ExitCodes.Success;
        }

        foreach (var job in jobs)
        {
            context.Console.Out.WriteLine($"{job.Job} ({job.Kind}): cron \"{job.Cron}\" {job.TimeZone}, next run {job.NextRun:u}");
            context.Console.Out.WriteLine(job.LastRun is { } run
                ? $"  last run {run.RunId} at {run.StartedAt:u} ({run.Trigger}): {JobTrigger.Describe(run)}"
                : "  never ran");
        }

        return ExitCodes.Success;
    }

    private sealed record JobStatus(string Job, string Kind, string Cron, string TimeZone, DateTimeOffset? NextRun, RunRecord? LastRun);
}
