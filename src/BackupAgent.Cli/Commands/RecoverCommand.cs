using BackupAgent.Cli.Hosting;

namespace BackupAgent.Cli.Commands;

public sealed class RecoverCommand : ICommand
{
    public string Name => "recover";

    public string Help => """
        backup-agent recover [--state-dir DIR]

        Starts the containers that a backup or restore stopped and could not start again because the agent was
        killed (SIGKILL, OOM, reboot), as recorded in the journal of stopped containers. A container that another
        running backup still needs stopped is left to it. Every backup and restore does this first, too.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        await using var engine = context.OpenEngine();
        var started = await context.OpenStopper(engine).RecoverAsync(cancellationToken);
        context.Console.Out.WriteLine(started.Count == 0
            ? "nothing to recover: no container was left stopped"
            : $"started again: {string.Join(", ", started)}");
        return ExitCodes.Success;
    }
}
