using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Commands;

public sealed class CompletionCommand : ICommand
{
    private readonly Argument<string> _shell = NewShell();

    public string Name => "completion";

    public string Summary => "print a completion script for bash, zsh or fish";

    public string Details => """
        The script completes the commands, their options and the values of options that take a fixed set (e.g. --compression), from the same tree the parser uses. Install it:

          bash:  backup-agent completion bash > /etc/bash_completion.d/backup-agent   (or: source <(backup-agent completion bash))
          zsh:   backup-agent completion zsh > "${fpath[1]}/_backup-agent"           (or: source <(backup-agent completion zsh))
          fish:  backup-agent completion fish > ~/.config/fish/completions/backup-agent.fish
        """;

    public IReadOnlyList<Option> Options { get; } = [];

    public IReadOnlyList<Argument> Positionals => [_shell];

    public Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var root = args.Result.RootCommandResult.Command;
        var shell = args.Result.GetValue(_shell);
        context.Console.Out.Write(shell switch
        {
            "bash" => CompletionScripts.Bash(root),
            "zsh" => CompletionScripts.Zsh(root),
            "fish" => CompletionScripts.Fish(root),
            _ => throw new BadInputException($"completion: '{shell}' is not a shell this completes (bash, zsh, fish)"),
        });
        return Task.FromResult(ExitCodes.Success);
    }

    private static Argument<string> NewShell()
    {
        var shell = new Argument<string>("shell") { HelpName = "SHELL", Description = "bash, zsh or fish" };
        shell.CompletionSources.Add("bash", "zsh", "fish");
        return shell;
    }
}
