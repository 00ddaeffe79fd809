using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Cli.Commands;

public sealed class ConfigCheckCommand : ICommand
{
    public string Name => "config check";

    public string Summary => "validate the configuration; every problem at once (exit 2)";

    public string Details => """
        Validates the agent's configuration exactly as `run` does at start-up, and lists every problem at once, each with its key path (exit 2). Environment variables BACKUP_AGENT__KEY__SUBKEY override keys; KEY_FILE reads a key's value from a file.
        """;

    public IReadOnlyList<Option> Options { get; } = [AgentSetup.ConfigOption()];

    public Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var options = AgentSetup.LoadConfig(args);
        var now = DateTimeOffset.UtcNow;
        context.Console.Out.WriteLine($"{options.SourceFile}: valid, {options.Jobs.Count} job(s); state in {options.StateDirectory()}");
        foreach (var job in options.Jobs)
        {
            var dest = Destinations.Resolve(options, job.Destination!);
            var copies = job.Copies.Count > 0 ? $", copies in {string.Join(", ", job.Copies.Select(c => Destinations.Resolve(options, c)))}" : "";
            context.Console.Out.WriteLine($"  {job.Name}: {job.Kind} to {dest}{copies}, cron \"{job.Cron}\" ({job.TimeZone().Id}), next run {job.NextFireAfter(now):u}");
        }

        return Task.FromResult(ExitCodes.Success);
    }
}
