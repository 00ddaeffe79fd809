using System.CommandLine;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// One CLI command: its name, what it does, the options it takes and its action. One file per command under
/// Commands/; <see cref="CliTree"/> puts them into System.CommandLine's tree, from which the parser, the help and the
/// completion scripts are all made.
/// </summary>
public interface ICommand
{
    /// <summary>One word, or two for a command in a group (config check).</summary>
    string Name { get; }

    /// <summary>One line: the overview's and the shells' description of the command.</summary>
    string Summary { get; }

    /// <summary>The paragraphs of its help between the usage and the options ("" for none).</summary>
    string Details { get; }

    IReadOnlyList<Option> Options { get; }

    /// <summary>Its positional arguments, if any (most commands take options only).</summary>
    IReadOnlyList<Argument> Positionals => [];

    /// <summary>Runs the command; returns the exit code. Errors are thrown and mapped by <see cref="ExitCodes"/>.</summary>
    Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken);
}
