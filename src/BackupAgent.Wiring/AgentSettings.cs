using BackupAgent.Core.Engine;

namespace BackupAgent.Wiring;

/// <summary>
/// What the agent needs to reach its engines and stores, read once at start: by the CLI from its options and the
/// environment, for its commands and for the scheduled jobs of <c>run</c>.
/// </summary>
public sealed record AgentSettings
{
    public const string DefaultEngineAddress = "unix:///var/run/docker.sock";

    public const string DefaultHelperImage = "backup-agent-helper:latest";

    /// <summary>A helper running a day is stuck, not slow: 2 TB at 25 MB/s.</summary>
    public const int DefaultHelperTimeoutSeconds = 86_400;

    /// <summary>About 49 days, the longest timer .NET takes.</summary>
    public const int MaxHelperTimeoutSeconds = 4_294_967;

    /// <summary>The engine whose volumes the agent backs up and restores (a migration's source).</summary>
    public EngineEndpoint Engine { get; init; } = new(DefaultEngineAddress);

    /// <summary>Further engines by name (the configuration's engines:), which jobs name; the names compare case-insensitively.</summary>
    public IReadOnlyDictionary<string, EngineEndpoint> NamedEngines { get; init; } = new Dictionary<string, EngineEndpoint>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The helper image every engine runs.</summary>
    public string HelperImage { get; init; } = DefaultHelperImage;

    /// <summary>How long a helper may run before it is killed and its operation fails; null: no limit.</summary>
    public TimeSpan? HelperTimeout { get; init; } = TimeSpan.FromSeconds(DefaultHelperTimeoutSeconds);

    /// <summary>How helpers hand their output over ("attach" or "auto", BACKUP_AGENT_HELPER_OUTPUT); null: auto.</summary>
    public string? HelperOutput { get; init; }

    /// <summary>Where helpers' FIFOs are made (BACKUP_AGENT_RUN_DIR); null: the default.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Where the agent keeps its state: the journal of stopped containers and the volume locks.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The environment S3 stores take their settings from (AWS_* and BACKUP_AGENT_S3_*), read when one is opened.</summary>
    public Func<string, string?> StoreEnvironment { get; init; } = _ => null;
}
