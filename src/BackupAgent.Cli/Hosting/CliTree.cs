using System.CommandLine;
using System.CommandLine.Help;
using BackupAgent.Cli.Commands;

namespace BackupAgent.Cli.Hosting;

/// <summary>A command of the tree, with the <see cref="ICommand"/> it runs.</summary>
internal sealed class AgentCommand(ICommand command, string word) : Command(word, command.Summary)
{
    public ICommand Definition => command;
}

/// <summary>
/// The parser's declaration, in this one place: every command (each from its own file under Commands/), the groups
/// of two-word commands, and the global options, which go anywhere on the line.
/// </summary>
internal static class CliTree
{
    public const string VersionOption = "--version";

    /// <summary>No response files: an argument starting with @ is a value like any other.</summary>
    public static readonly ParserConfiguration ParserConfiguration = new() { ResponseFileTokenReplacer = null };

    private static readonly Dictionary<string, string> GroupSummaries = new(StringComparer.Ordinal)
    {
        ["config"] = "the scheduled agent's configuration",
        ["cluster"] = "cluster mode: agents sharing Quartz's job store in PostgreSQL",
    };

    private static IReadOnlyList<ICommand> NewCommands() =>
    [
        new BackupCommand(),
        new RestoreCommand(),
        new ListCommand(),
        new VerifyCommand(),
        new PruneCommand(),
        new CopyCommand(),
        new RecoverCommand(),
        new MigrateCommand(),
        new RunCommand(),
        new StatusCommand(),
        new ConfigCheckCommand(),
        new ClusterInitCommand(),
        new KeygenCommand(),
        new CompletionCommand(),
        new HelpCommand(),
        new VersionCommand(),
    ];

    /// <summary>The tree; <paramref name="run"/> is each command's action.</summary>
    public static RootCommand Build(Func<ICommand, ParseResult, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand(Usage.Summary);
        foreach (var builtIn in root.Options.OfType<VersionOption>().ToList())
        {
            root.Options.Remove(builtIn); // ours prints ToolVersion, as `version` does
        }

        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Description = "print this help ('backup-agent help COMMAND' prints a command's)";
        }

        root.Options.Add(CliOption.Flag(VersionOption, "print the version"));
        foreach (var option in GlobalOptions.Create())
        {
            root.Options.Add(option);
        }

        foreach (var definition in NewCommands())
        {
            var words = definition.Name.Split(' ');
            Command parent = root;
            foreach (var word in words[..^1])
            {
                var group = parent.Subcommands.FirstOrDefault(c => c.Name == word);
                if (group is null)
                {
                    group = new Command(word, GroupSummaries[word]);
                    parent.Subcommands.Add(group);
                }

                parent = group;
            }

            var command = new AgentCommand(definition, words[^1]);
            foreach (var option in definition.Options)
            {
                command.Options.Add(option);
            }

            foreach (var argument in definition.Positionals)
            {
                command.Arguments.Add(argument);
            }

            command.SetAction((parse, token) => run(definition, parse, token));
            parent.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>
    /// The line as System.CommandLine is to read it: <c>--name=</c> is <c>--name ""</c>, an empty value (which the
    /// command then refuses, naming it), as the hand-written parser read it; System.CommandLine would see no value.
    /// </summary>
    public static string[] Tokens(IReadOnlyList<string> argv) =>
        [.. argv.SelectMany(a => a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=') == a.Length - 1 ? [a[..^1], ""] : new[] { a })];

    /// <summary>The words that name <paramref name="command"/> after backup-agent ("" for the root).</summary>
    public static string PathOf(Command command)
    {
        var words = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = Parent(c))
        {
            words.Insert(0, c.Name);
        }

        return string.Join(' ', words);
    }

    public static Command? Parent(Command command) => command.Parents.OfType<Command>().FirstOrDefault();

    /// <summary>Every command below <paramref name="command"/>, depth first.</summary>
    public static IEnumerable<Command> Descendants(Command command) =>
        command.Subcommands.SelectMany(c => (IEnumerable<Command>)[c, .. Descendants(c)]);

    /// <summary>The options a command takes: its own, then the recursive (global) ones of the commands above it.</summary>
    public static IEnumerable<Option> OptionsInScope(Command command)
    {
        foreach (var option in command.Options)
        {
            yield return option;
        }

        for (var parent = Parent(command); parent is not null; parent = Parent(parent))
        {
            foreach (var option in parent.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }

    /// <summary>An option's name and aliases.</summary>
    public static IEnumerable<string> Names(Option option) => [option.Name, .. option.Aliases];
}
