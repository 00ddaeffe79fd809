using System.Globalization;
using System.Text.Json;
using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Docker;
using BackupAgent.Storage.Directory;
using BackupAgent.Storage.S3;
using Serilog;

namespace BackupAgent.Cli.Hosting;

/// <summary>What a command works with: the console, the logger, and factories for the engine and the stores.</summary>
public sealed class CommandContext(AgentConsole console, ILogger log, Arguments args)
{
    public const string DefaultDockerHost = "unix:///var/run/docker.sock";
    public const string DefaultHelperImage = "backup-agent-helper:latest";

    /// <summary>A helper running a day is stuck, not slow: 2 TB at 25 MB/s.</summary>
    public const int DefaultHelperTimeoutSeconds = 86_400;

    /// <summary>About 49 days, the longest timer .NET takes.</summary>
    public const int MaxHelperTimeoutSeconds = 4_294_967;

    public AgentConsole Console => console;

    public ILogger Log => log;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// The engine of --docker-host (else $DOCKER_HOST, else the local socket), with TLS from --docker-cert-path (else
    /// $DOCKER_CERT_PATH when $DOCKER_TLS_VERIFY is set), as Docker clients take them.
    /// </summary>
    public IContainerEngine OpenEngine() => OpenEngine(
        args.Value("--docker-host") ?? NonEmpty(console.Environment("DOCKER_HOST")) ?? DefaultDockerHost,
        args.Value("--docker-cert-path") ?? (NonEmpty(console.Environment("DOCKER_TLS_VERIFY")) is null ? null : NonEmpty(console.Environment("DOCKER_CERT_PATH"))));

    /// <summary>An engine at another endpoint (a migration's target), with the same helper image; TLS files from <paramref name="tlsCertPath"/>.</summary>
    public IContainerEngine OpenEngine(string endpoint, string? tlsCertPath = null) => new DockerEngine(
        endpoint,
        args.Value("--helper-image") ?? NonEmpty(console.Environment("BACKUP_AGENT_HELPER_IMAGE")) ?? DefaultHelperImage,
        log,
        NonEmpty(console.Environment(HelperOutputChoice.Setting)),
        NonEmpty(console.Environment("BACKUP_AGENT_RUN_DIR")),
        tlsCertPath)
    {
        HelperTimeout = this.HelperTimeout,
    };

    /// <summary>--helper-timeout SECONDS, else $BACKUP_AGENT_HELPER_TIMEOUT, else a day; 0 means no limit.</summary>
    public TimeSpan? HelperTimeout
    {
        get
        {
            var (value, name) = args.Value("--helper-timeout") is { } option
                ? (option, "--helper-timeout")
                : (NonEmpty(console.Environment("BACKUP_AGENT_HELPER_TIMEOUT")), "BACKUP_AGENT_HELPER_TIMEOUT");
            if (value is null)
            {
                return TimeSpan.FromSeconds(DefaultHelperTimeoutSeconds);
            }

            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxHelperTimeoutSeconds
                ? seconds == 0 ? null : TimeSpan.FromSeconds(seconds)
                : throw new BadInputException($"{name} '{value}' is not a whole number of seconds up to {MaxHelperTimeoutSeconds} (0: no limit)");
        }
    }

    /// <summary>Where the agent keeps its state (the journal of stopped containers, the volume locks): --state-dir, $BACKUP_AGENT_STATE_DIR, else /var/lib/backup-agent (root) or ~/.local/state/backup-agent.</summary>
    public string StateDirectory =>
        args.Value("--state-dir") ?? NonEmpty(console.Environment("BACKUP_AGENT_STATE_DIR")) ??
        (Environment.UserName == "root" ? "/var/lib/backup-agent" : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "backup-agent"));

    /// <summary>The journal of stopped containers and the volume locks, both in the state directory.</summary>
    public ContainerStopper OpenStopper(IContainerEngine engine) =>
        new(engine, new StopJournal(Path.Combine(StateDirectory, "stopped"), log), new VolumeLocks(Path.Combine(StateDirectory, "locks")), log);

    /// <summary>
    /// Opens the store named by DEST; <paramref name="forWriting"/> creates a missing directory. S3 settings come
    /// from the environment (AWS_* and BACKUP_AGENT_S3_*).
    /// </summary>
    public IBackupStore OpenStore(string option, bool forWriting) => OpenStoreAt(args.Value(option), option, forWriting);

    /// <summary>Opens the store at DEST (from a configured job); <paramref name="what"/> names it in errors.</summary>
    public IBackupStore OpenStoreAt(string? dest, string what, bool forWriting)
    {
        var location = StoreLocation.Parse(dest, what);
        return location.Kind switch
        {
            StoreKind.S3 => S3Store.Open(location, console.Environment, log),
            _ => DirectoryStore.Open(location.Path, forWriting),
        };
    }

    /// <summary>Writes a result as JSON (for scripts) to stdout.</summary>
    public void WriteJson<T>(T value) => console.Out.WriteLine(JsonSerializer.Serialize(value, BackupCatalog.Json));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
