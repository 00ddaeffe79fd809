using BackupAgent.Core.Engine;

namespace BackupAgent.Scheduling.Discovery;

/// <summary>
/// The labels by which containers ask to be backed up. They are read at every run, so a container started (or
/// labelled) after the agent is included in the next run.
/// <list type="bullet">
/// <item><c>backup-agent.enable=true</c>: this container takes part (nothing happens without it).</item>
/// <item><c>backup-agent.job=NAME</c>: back up this container's volumes in the configured job NAME.</item>
/// <item><c>backup-agent.schedule=CRON</c> (and <c>backup-agent.destination</c>): a job of its own, see <see cref="LabelledJobs"/>.</item>
/// </list>
/// </summary>
public static class ContainerLabels
{
    public const string Enable = "backup-agent.enable";
    public const string Job = "backup-agent.job";

    /// <summary>The enabled containers that join job <paramref name="job"/>, by name.</summary>
    public static async Task<IReadOnlyList<string>> JoiningAsync(IContainerControl engine, string job, CancellationToken cancellationToken)
    {
        var containers = await engine.ListContainersAsync($"{Job}={job}", cancellationToken);
        return containers
            .Where(IsEnabled)
            .Select(c => c.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static bool IsEnabled(ContainerInfo container) =>
        container.Labels.TryGetValue(Enable, out var enabled) && string.Equals(enabled, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The containers that match a job's label selector (KEY or KEY=VALUE), by name.</summary>
    public static async Task<IReadOnlyList<string>> MatchingAsync(IContainerControl engine, string selector, CancellationToken cancellationToken) =>
        (await engine.ListContainersAsync(selector, cancellationToken)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
}
