using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Storage;
using BackupAgent.Scheduling.Running;
using Serilog;

namespace BackupAgent.Cli.Hosting;

/// <summary>The agent's jobs open the engine and stores through <see cref="CommandContext"/>, exactly as the commands do.</summary>
internal sealed class CommandWiring(AgentConsole console, Arguments args) : IOperationWiring
{
    public IContainerEngine OpenEngine(ILogger log) => new CommandContext(console, log, args).OpenEngine();

    public IContainerEngine OpenEngine(string endpoint, ILogger log) => new CommandContext(console, log, args).OpenEngine(endpoint);

    public ContainerStopper OpenStopper(IContainerEngine engine, ILogger log) => new CommandContext(console, log, args).OpenStopper(engine);

    public IBackupStore OpenStore(string dest, string what, ILogger log) => new CommandContext(console, log, args).OpenStoreAt(dest, what, forWriting: true);
}
