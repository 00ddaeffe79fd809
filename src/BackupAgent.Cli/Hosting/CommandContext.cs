using System.Text.Json;
using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Wiring;
using Serilog;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// What a command works with: the console, the logger, and the agent's factory of engines and stores, built once
/// from the command's options and the environment (<see cref="SettingsReader"/>); a bad setting is refused before
/// anything runs.
/// </summary>
public sealed class CommandContext(AgentConsole console, ILogger log, Arguments args)
{
    public AgentConsole Console => console;

    public ILogger Log => log;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Opens engines, stores and stoppers, for the commands and for the jobs they run.</summary>
    public AgentFactory Factory { get; } = new(SettingsReader.Read(args, console));

    /// <summary>The engine of --docker-host (else $DOCKER_HOST, else the local socket).</summary>
    public IContainerEngine OpenEngine() => Factory.OpenEngine(log);

    /// <summary>An engine at another endpoint (a migration's target), with the same helper image.</summary>
    public IContainerEngine OpenEngine(EngineEndpoint endpoint) => Factory.OpenEngine(endpoint, log);

    /// <summary>The journal of stopped containers and the volume locks, both in the state directory.</summary>
    public ContainerStopper OpenStopper(IContainerEngine engine) => Factory.OpenStopper(engine, log);

    /// <summary>Opens the store named by the value of <paramref name="option"/>; <paramref name="forWriting"/> creates a missing directory.</summary>
    public IBackupStore OpenStore(string option, bool forWriting) => Factory.OpenStore(args.Value(option), option, forWriting, log);

    /// <summary>Writes a result as JSON (for scripts) to stdout.</summary>
    public void WriteJson<T>(T value) => console.Out.WriteLine(JsonSerializer.Serialize(value, BackupCatalog.Json));
}
