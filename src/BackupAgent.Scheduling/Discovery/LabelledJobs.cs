using BackupAgent.Core.Engine;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Config.Validation;
using BackupAgent.Scheduling.Running;

namespace BackupAgent.Scheduling.Discovery;

/// <summary>A container that defines its own job by labels, or why it cannot.</summary>
public sealed record LabelledJob(string Container, JobOptions? Job, IReadOnlyList<string> Problems);

/// <summary>
/// Containers labelled backup-agent.enable=true and backup-agent.schedule=CRON become jobs of their own, named
/// label-CONTAINER (label-ENGINE-CONTAINER on an engine named under engines:): the container's volumes, on that
/// schedule, to backup-agent.destination (or discovery.destination). Each is validated like a configured job.
/// </summary>
public static class LabelledJobs
{
    public const string Schedule = "backup-agent.schedule";
    public const string Destination = "backup-agent.destination";
    public const string NamePrefix = "label-";

    /// <summary>The labelled containers of <paramref name="engine"/>, the one named <paramref name="engineName"/> under engines: (null: the agent's own).</summary>
    public static async Task<IReadOnlyList<LabelledJob>> FindAsync(IContainerControl engine, AgentOptions options, CancellationToken cancellationToken, string? engineName = null)
    {
        var containers = await engine.ListContainersAsync(Schedule, cancellationToken);
        return containers.Where(ContainerLabels.IsEnabled).OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => ToJob(c, options, engineName)).ToList();
    }

    private static LabelledJob ToJob(ContainerInfo container, AgentOptions options, string? engineName)
    {
        var job = new JobOptions
        {
            Name = NamePrefix + (engineName is null ? "" : engineName + "-") + container.Name,
            Engine = engineName,
            Cron = container.Labels[Schedule],
            TimeZone = options.Discovery.TimeZone,
            Destination = container.Labels.TryGetValue(Destination, out var dest) && dest.Length > 0 ? dest : options.Discovery.Destination,
            Compression = options.Discovery.Compression,
            CatchUp = false,
            Sources = new SourceOptions { Containers = [container.Name] },
        };
        var problems = new ConfigProblems();
        new JobOptionsValidator(options, JobKinds.Names.ToHashSet(StringComparer.OrdinalIgnoreCase)).Validate(job, $"container {container.Name}", problems);
        return problems.Items.Count == 0 ? new LabelledJob(container.Name, job, []) : new LabelledJob(container.Name, null, problems.Items);
    }
}
