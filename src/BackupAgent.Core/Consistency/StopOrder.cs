using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Consistency;

/// <summary>
/// The order to stop containers in: a container that depends on another (Compose's
/// <c>com.docker.compose.depends_on</c> label, or <c>backup-agent.depends-on</c>) is stopped before the container it
/// depends on, and started after it. Starting is the reverse of stopping. Pure.
/// </summary>
public static class StopOrder
{
    public const string ComposeDependsOn = "com.docker.compose.depends_on";
    public const string ComposeService = "com.docker.compose.service";
    public const string DependsOn = "backup-agent.depends-on";

    public static IReadOnlyList<ContainerInfo> Sort(IReadOnlyList<ContainerInfo> containers)
    {
        // dependencies[c] = the containers (of this list) that c depends on.
        var byName = new Dictionary<string, ContainerInfo>(StringComparer.Ordinal);
        foreach (var c in containers)
        {
            byName.TryAdd(c.Name, c);
            if (c.Labels.TryGetValue(ComposeService, out var service))
            {
                byName.TryAdd(service, c);
            }
        }

        var dependencies = containers.ToDictionary(c => c.Id, c => DependencyNames(c)
            .Select(n => byName.GetValueOrDefault(n))
            .OfType<ContainerInfo>()
            .Where(d => d.Id != c.Id)
            .Select(d => d.Id)
            .ToHashSet());

        // Stop first whatever nothing left depends on; ties keep the input order. Cycles fall back to input order.
        var order = new List<ContainerInfo>();
        var remaining = containers.ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(c => !remaining.Any(o => dependencies[o.Id].Contains(c.Id))) ?? remaining[0];
            order.Add(next);
            remaining.Remove(next);
        }

        return order;
    }

    /// <summary>Names of the services or containers <paramref name="container"/> depends on. Compose writes "db:service_started:false,cache:...".</summary>
    private static IEnumerable<string> DependencyNames(ContainerInfo container)
    {
        foreach (var key in new[] { ComposeDependsOn, DependsOn })
        {
            if (container.Labels.TryGetValue(key, out var value))
            {
                foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    yield return part.Split(':')[0];
                }
            }
        }
    }
}
