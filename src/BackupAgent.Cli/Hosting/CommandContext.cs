using System.Text.Json;
using BackupAgent.Core.Engine;
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

    public AgentConsole Console => console;

    public ILogger Log => log;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public IContainerEngine OpenEngine() => new DockerEngine(
        args.Value("--docker-host") ?? NonEmpty(console.Environment("DOCKER_HOST")) ?? DefaultDockerHost,
        args.Value("--helper-image") ?? NonEmpty(console.Environment("BACKUP_AGENT_HELPER_IMAGE")) ?? DefaultHelperImage,
        log,
        NonEmpty(console.Environment(HelperOutputChoice.Setting)),
        NonEmpty(console.Environment("BACKUP_AGENT_RUN_DIR")));

    /// <summary>
    /// Opens the store named by DEST; <paramref name="forWriting"/> creates a missing directory. S3 settings come
    /// from the environment (AWS_* and BACKUP_AGENT_S3_*).
    /// </summary>
    public IBackupStore OpenStore(string option, bool forWriting)
    {
        var location = StoreLocation.Parse(args.Value(option), option);
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
