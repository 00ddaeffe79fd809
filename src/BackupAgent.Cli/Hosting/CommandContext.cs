using System.Text.Json;
using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Scheduling.Config;
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

    private AgentOptions? _configured;
    private AgentFactory? _factory;

    /// <summary>Opens engines, stores and stoppers, for the commands and for the jobs they run; built once, on first use.</summary>
    public AgentFactory Factory => _factory ??= new(SettingsReader.Read(args, console, _configured?.Engine, _configured?.Engines));

    /// <summary>
    /// Takes the configuration's engine settings (engine:, under the options and the environment, and the named
    /// engines:), before anything is opened: for the commands that run jobs.
    /// </summary>
    public void Configure(AgentOptions options) =>
        _configured = _factory is null ? options : throw new InvalidOperationException("the settings were read before the configuration was loaded");

    /// <summary>The engine named by --engine under the configuration's engines:, else that of --docker-host (else $DOCKER_HOST, else the local socket).</summary>
    public IContainerEngine OpenEngine() => Factory.OpenEngine(args.Value("--engine"), log);

    /// <summary>An engine at another endpoint (a migration's target), with the same helper image.</summary>
    public IContainerEngine OpenEngine(EngineEndpoint endpoint) => Factory.OpenEngine(endpoint, log);

    /// <summary>The journal of stopped containers and the volume locks, both in the state directory.</summary>
    public ContainerStopper OpenStopper(IContainerEngine engine) => Factory.OpenStopper(engine, log);

    /// <summary>Opens the store named by the value of <paramref name="option"/>; <paramref name="forWriting"/> creates a missing directory.</summary>
    public IBackupStore OpenStore(string option, bool forWriting) => Factory.OpenStore(args.Value(option), option, forWriting, log);

    /// <summary>Writes a result as JSON (for scripts) to stdout.</summary>
    public void WriteJson<T>(T value) => console.Out.WriteLine(JsonSerializer.Serialize(value, BackupCatalog.Json));
}
