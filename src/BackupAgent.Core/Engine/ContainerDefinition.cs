namespace BackupAgent.Core.Engine;

/// <summary>
/// What it takes to create a container again on another engine: its image and configuration, its own mounts
/// (not those it has through <see cref="VolumesFrom"/>), ports, restart policy and networks.
/// </summary>
public sealed record ContainerDefinition(string Name, string Image)
{
    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyList<string> Env { get; init; } = [];

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? WorkingDir { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<MountDefinition> Mounts { get; init; } = [];

    /// <summary>Containers whose mounts this one shares, as "NAME" or "NAME:ro".</summary>
    public IReadOnlyList<string> VolumesFrom { get; init; } = [];

    public IReadOnlyList<PortDefinition> Ports { get; init; } = [];

    public string? RestartPolicy { get; init; }

    public long RestartRetries { get; init; }

    /// <summary>The networks it is attached to, by name (the first is its network mode).</summary>
    public IReadOnlyList<string> Networks { get; init; } = [];

    /// <summary>The container names this one must be created after (its VolumesFrom sources).</summary>
    public IEnumerable<string> DependsOn => VolumesFrom.Select(v => v.Split(':')[0]);
}

/// <summary>A mount of a container's own: a volume (named or anonymous, by name) or a host path.</summary>
public sealed record MountDefinition(MountKind Kind, string Source, string Target, bool ReadOnly);

/// <summary>A published port: "80/tcp" on host address and port.</summary>
public sealed record PortDefinition(string ContainerPort, string HostIp, string HostPort);
