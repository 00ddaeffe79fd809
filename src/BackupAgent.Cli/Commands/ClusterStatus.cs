using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Cluster;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Cli.Commands;

/// <summary>What `status` shows in cluster mode: the fleet's nodes and runs, from PostgreSQL.</summary>
internal static class ClusterStatus
{
    public static async Task<int> WriteAsync(AgentOptions options, bool json, CommandContext context, CancellationToken cancellationToken)
    {
        await using var database = new ClusterDatabase(options.Cluster!);
        var nodes = await database.NodesAsync(cancellationToken);
        var runs = await database.RunsAsync(null, 50, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var jobs = new List<FleetJob>();
        foreach (var job in options.Jobs)
        {
            var last = (await database.RunsAsync(job.Name, 1, cancellationToken)).FirstOrDefault();
            jobs.Add(new FleetJob(job.Name!, job.Kind, job.Engine, job.Cron!, job.TimeZone().Id, job.NextFireAfter(now), last));
        }

        if (json)
        {
            context.WriteJson(new { hash = ConfigHash.Of(options), nodes, jobs, runs });
            return ExitCodes.Success;
        }

        var output = context.Console.Out;
        output.WriteLine($"cluster on {ClusterDatabase.Describe(options.Cluster!)}; this file's configuration hash {ConfigHash.Of(options)}");
        foreach (var node in nodes)
        {
            var checkin = node.LastCheckin is { } c ? $"last check-in {c:u}" : "not checking in";
            var flag = node.Problem == ClusterDatabase.Left ? $"; {node.Problem}" : node.Problem is { } p ? $"; FLAGGED: {p}" : node.ConfigHash != ConfigHash.Of(options) ? $"; configuration {node.ConfigHash}" : "";
            var skew = node.ClockSkewMs is { } ms ? $", clock {ms:0} ms off PostgreSQL" : "";
            output.WriteLine($"node {node.Node}: {checkin}, seen {node.LastSeen:u}{skew}{flag}");
        }

        foreach (var job in jobs)
        {
            var engine = job.Engine is { } e ? $" on engine {e}" : "";
            output.WriteLine($"{job.Job} ({job.Kind}{engine}): cron \"{job.Cron}\" {job.TimeZone}, next run {job.NextRun:u}");
            output.WriteLine(job.LastRun is { } run
                ? $"  last run {run.RunId} on {run.Node} at {run.StartedAt:u} ({run.Trigger}): {run.Outcome}{(run.DurationSeconds is { } d ? $" in {d:0.0} s" : "")}, {run.Bytes} bytes{(run.Error is { } err ? $": {err}" : "")}"
                : "  never ran");
        }

        return ExitCodes.Success;
    }

    private sealed record FleetJob(string Job, string Kind, string? Engine, string Cron, string TimeZone, DateTimeOffset? NextRun, ClusterRunRow? LastRun);
}
