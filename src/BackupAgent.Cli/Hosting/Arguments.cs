using System.CommandLine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// The options of one parsed command line, read by name: the command's own and the global ones. System.CommandLine
/// parses; <see cref="ParseProblems"/> words what it refuses.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, Option> _options = new(StringComparer.Ordinal);

    internal Arguments(string command, ParseResult result)
    {
        Command = command;
        Result = result;
        foreach (var option in CliTree.OptionsInScope(result.CommandResult.Command))
        {
            _options.TryAdd(option.Name, option);
        }
    }

    public string Command { get; }

    /// <summary>The parse this reads from.</summary>
    public ParseResult Result { get; }

    /// <summary>
    /// Parses <paramref name="tokens"/> as the options of a command named <paramref name="command"/> that takes
    /// <paramref name="options"/> (and the global options); a problem is thrown, naming its culprit.
    /// </summary>
    public static Arguments Parse(string command, IReadOnlyList<string> tokens, IReadOnlyList<Option> options)
    {
        var root = new RootCommand();
        foreach (var global in GlobalOptions.Create())
        {
            root.Options.Add(global);
        }

        var sub = new Command(command);
        foreach (var option in options)
        {
            sub.Options.Add(option);
        }

        root.Subcommands.Add(sub);
        string[] argv = [command, .. tokens];
        var result = root.Parse(CliTree.Tokens(argv), CliTree.ParserConfiguration);
        return ParseProblems.First(result, argv) is { } problem ? throw new BadInputException(problem) : new Arguments(command, result);
    }

    public string? Value(string name) => Find(name) switch
    {
        Option<string> single => Result.GetValue(single),
        Option<string[]> many => Result.GetValue(many) is { Length: > 0 } values ? values[^1] : null,
        _ => null,
    };

    public string Required(string name) => Value(name) ?? throw new BadInputException($"{Command}: {name} is required (see 'backup-agent {Command} --help')");

    public IReadOnlyList<string> Values(string name) => Find(name) switch
    {
        Option<string[]> many => Result.GetValue(many) ?? [],
        Option<string> single => Result.GetValue(single) is { } value ? [value] : [],
        _ => [],
    };

    public bool Flag(string name) => Find(name) is Option<bool> flag && Result.GetValue(flag);

    /// <summary>Whether the line gives <paramref name="name"/> at all (a flag, or an option with its value).</summary>
    public bool Given(string name) => Find(name) is { } option && Result.GetResult(option) is { Implicit: false };

    private Option? Find(string name) => _options.GetValueOrDefault(name);
}
