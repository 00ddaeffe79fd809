using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;
using BackupAgent.Docker;
using BackupAgent.Storage.Directory;
using BackupAgent.Storage.S3;
using Serilog;

namespace BackupAgent.Wiring;

/// <summary>
/// Opens what the operations work with, from the settings read at start: engines (by endpoint), stores (by DEST) and the
/// stopper (the journal and volume locks in the state directory). Built once; the CLI's commands and the scheduled
/// jobs open everything here, each with its own logger.
/// </summary>
public sealed class AgentFactory(AgentSettings settings)
{
    public AgentSettings Settings => settings;

    /// <summary>The agent's own engine.</summary>
    public IContainerEngine OpenEngine(ILogger log) => OpenEngine(settings.Engine, log);

    /// <summary>The engine named <paramref name="name"/> under engines: (null or empty: the agent's own engine).</summary>
    public IContainerEngine OpenEngine(string? name, ILogger log) => OpenEngine(EndpointOf(name), log);

    /// <summary>
    /// Where the engine named <paramref name="name"/> is; null or empty: the agent's own. A name unknown to engines:
    /// that holds "://" is taken as an address (a migrate job's targetEngine may be either).
    /// </summary>
    public EngineEndpoint EndpointOf(string? name, Setting setting = Setting.Engine) => name switch
    {
        null or "" => settings.Engine,
        _ when settings.NamedEngines.TryGetValue(name, out var named) => named with { Setting = setting },
        _ when name.Contains("://", StringComparison.Ordinal) => new EngineEndpoint(name) { Setting = setting },
        _ => throw new BadInputException(settings.NamedEngines.Count == 0
            ? $"unknown engine '{name}': no engines are named under engines:"
            : $"unknown engine '{name}' (engines: {string.Join(", ", settings.NamedEngines.Keys.Order(StringComparer.OrdinalIgnoreCase))})"),
    };

    /// <summary>The agent's own engine (null) and each named one, for what is done on every engine (recovery at start).</summary>
    public IEnumerable<string?> EngineNames => settings.NamedEngines.Keys.Prepend(null);

    /// <summary>An engine at any endpoint (a migration's target), with the agent's helper image and timeout.</summary>
    public IContainerEngine OpenEngine(EngineEndpoint endpoint, ILogger log) =>
        new DockerEngine(endpoint.Address, settings.HelperImage, log, settings.HelperOutput, settings.RunDirectory, endpoint.TlsCertPath, endpoint.Setting)
        {
            HelperTimeout = settings.HelperTimeout,
        };

    /// <summary>Stops and starts containers of <paramref name="engine"/> through the journal and volume locks in the state directory.</summary>
    public ContainerStopper OpenStopper(IContainerEngine engine, ILogger log) => new(
        engine,
        OpenJournal(log),
        new VolumeLocks(Path.Combine(settings.StateDirectory, "locks")),
        log);

    /// <summary>The journal of stopped containers in the state directory (what the agent's metrics count as left stopped).</summary>
    public StopJournal OpenJournal(ILogger log) => new(Path.Combine(settings.StateDirectory, "stopped"), log);

    /// <summary>Opens the store at DEST; <paramref name="what"/> names it in errors, <paramref name="forWriting"/> creates a missing directory.</summary>
    public IBackupStore OpenStore(string? dest, string what, bool forWriting, ILogger log)
    {
        var location = StoreLocation.Parse(dest, what);
        return location.Kind switch
        {
            StoreKind.S3 => S3Store.Open(location, settings.StoreEnvironment, log),
            _ => DirectoryStore.Open(location.Path, forWriting),
        };
    }
}
