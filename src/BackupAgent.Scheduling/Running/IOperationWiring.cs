using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// How the agent opens the engine and the stores: given by the CLI, which wires its own commands the same way,
/// so a scheduled run and a `backup` command use the same engine and store code.
/// </summary>
public interface IOperationWiring
{
    IContainerEngine OpenEngine(ILogger log);

    /// <summary>An engine at another endpoint (a migration's target).</summary>
    IContainerEngine OpenEngine(string endpoint, ILogger log);

    /// <summary>Stops and starts containers through the agent's journal, as the commands do.</summary>
    ContainerStopper OpenStopper(IContainerEngine engine, ILogger log);

    /// <summary>Opens the store at DEST for writing; <paramref name="what"/> names it in errors (a config key).</summary>
    IBackupStore OpenStore(string dest, string what, ILogger log);
}
