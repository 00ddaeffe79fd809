namespace BackupAgent.Cli.Hosting;

/// <summary>One CLI command: its options, its help and what it does. One file per command under Commands/.</summary>
public interface ICommand
{
    string Name { get; }

    string Help { get; }

    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command; returns the exit code. Errors are thrown and mapped by <see cref="ExitCodes"/>.</summary>
    Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken);
}
