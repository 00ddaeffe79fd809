using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Cluster;

namespace BackupAgent.Cli.Commands;

public sealed class ClusterInitCommand : ICommand
{
    public string Name => "cluster init";

    public string Summary => "create the tables of cluster mode in the configuration's PostgreSQL";

    public string Details => """
        Creates the tables of cluster mode in the PostgreSQL of the configuration's cluster: section where they are missing: Quartz's own (its PostgreSQL schema, with the rows of qrtz_locks), and the agent's (the configuration hash, the nodes, the shared run history). Nothing existing is changed. Every node also does this at start, so this is for a database user that may create tables, beside nodes whose user may not.
        """;

    public IReadOnlyList<Option> Options { get; } = [AgentSetup.ConfigOption()];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var options = AgentSetup.LoadConfig(args);
        if (options.Cluster is null)
        {
            throw new BackupAgent.Core.Errors.BadInputException($"the configuration {options.SourceFile} has no cluster: section (cluster: {{ postgres: \"Host=...;Database=...;Username=...\" }})");
        }

        await using var database = new ClusterDatabase(options.Cluster);
        await database.EnsureSchemaAsync(cancellationToken);
        context.Console.Out.WriteLine($"the cluster's tables are ready on {ClusterDatabase.Describe(options.Cluster)}");
        return ExitCodes.Success;
    }
}
