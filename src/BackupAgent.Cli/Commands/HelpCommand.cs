using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Commands;

public sealed class HelpCommand : ICommand
{
    private readonly Argument<string[]> _command = new("command")
    {
        HelpName = "COMMAND",
        Description = "the command whose help to print, e.g. backup or config check (default: the overview)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public string Name => "help";

    public string Summary => "print the help of a command (help backup), or the overview";

    public string Details => "";

    public IReadOnlyList<Option> Options { get; } = [];

    public IReadOnlyList<Argument> Positionals => [_command];

    public Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        Command command = args.Result.RootCommandResult.Command;
        foreach (var word in args.Result.GetValue(_command) ?? [])
        {
            command = command.Subcommands.FirstOrDefault(c => c.Name == word)
                ?? throw new BadInputException($"help: unknown command '{word}'{Suggest.DidYouMean(word, command.Subcommands.Select(c => c.Name))} (see 'backup-agent help')");
        }

        context.Console.Out.WriteLine(HelpText.For(command));
        return Task.FromResult(ExitCodes.Success);
    }
}
