namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>The whole file: its parts, and what only the whole can tell (duplicate job names).</summary>
public sealed class AgentOptionsValidator(IEnumerable<string> knownKinds) : IOptionsValidator<AgentOptions>
{
    public void Validate(AgentOptions options, string path, ConfigProblems problems)
    {
        foreach (var (name, destination) in options.Destinations)
        {
            new DestinationOptionsValidator(options).Validate(destination, $"destinations.{name}", problems);
        }

        if (options.Jobs.Count == 0 && string.IsNullOrEmpty(options.Discovery.Destination))
        {
            problems.Add("jobs", "no job is configured (add one under jobs:, or set discovery.destination for containers with their own schedule)");
        }

        var jobValidator = new JobOptionsValidator(options, knownKinds.ToHashSet(StringComparer.OrdinalIgnoreCase));
        for (var i = 0; i < options.Jobs.Count; i++)
        {
            jobValidator.Validate(options.Jobs[i], $"jobs[{i}]", problems);
        }

        foreach (var duplicate in options.Jobs.Select((j, i) => (j.Name, Index: i)).Where(j => !string.IsNullOrEmpty(j.Name))
                     .GroupBy(j => j.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add("jobs", $"the job name '{duplicate.Key}' is used more than once ({string.Join(", ", duplicate.Select(j => $"jobs[{j.Index}]"))})");
        }

        new LoggingOptionsValidator().Validate(options.Logging, "logging", problems);
        new ConcurrencyOptionsValidator().Validate(options.Concurrency, "concurrency", problems);
        new EngineOptionsValidator().Validate(options.Engine, "engine", problems);
        foreach (var (name, engine) in options.Engines)
        {
            new NamedEngineOptionsValidator(name).Validate(engine, $"engines.{name}", problems);
        }
        new WebhookOptionsValidator().Validate(options.Notifications.Webhook, "notifications.webhook", problems);
        new DiscoveryOptionsValidator().Validate(options.Discovery, "discovery", problems);
        new MetricsOptionsValidator().Validate(options.Metrics, "metrics", problems);
        if (options.Cluster is { } cluster)
        {
            new ClusterOptionsValidator().Validate(cluster, "cluster", problems);
        }
    }
}
