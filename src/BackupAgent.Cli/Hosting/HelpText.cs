using System.CommandLine;
using System.CommandLine.Help;
using System.Text;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// The help of every command, made from the tree: the usage line and the option table list exactly the options the
/// command's parser takes, so the two cannot drift apart. Only the paragraphs in between are prose.
/// </summary>
internal static class HelpText
{
    private const int Width = 100;
    private const int MaxLabel = 30;

    public static string For(Command command) => command switch
    {
        RootCommand root => Overview(root),
        AgentCommand agent => OfCommand(agent),
        _ => OfGroup(command),
    };

    private static string OfCommand(AgentCommand command)
    {
        var path = CliTree.PathOf(command);
        var text = new StringBuilder();
        var synopsis = command.Options.Where(Shown).Select(Synopsis)
            .Concat(command.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[{a.HelpName}]" : a.HelpName!));
        Wrap(text, $"Usage: backup-agent {path} ", synopsis);
        text.AppendLine();
        Paragraphs(text, Sentence(command.Definition.Summary));
        if (command.Definition.Details.Length > 0)
        {
            text.AppendLine();
            Paragraphs(text, command.Definition.Details);
        }

        if (command.Arguments.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Arguments:");
            Table(text, command.Arguments.Select(a => (a.HelpName ?? a.Name, a.Description ?? "")));
        }

        if (command.Options.Any(Shown))
        {
            text.AppendLine();
            text.AppendLine("Options:");
            Table(text, command.Options.Where(Shown).Select(Row));
        }

        GlobalSection(text, command);
        text.AppendLine();
        text.Append("'backup-agent help' lists every command, the exit codes and where DEST can be.");
        return text.ToString();
    }

    private static string OfGroup(Command group)
    {
        var path = CliTree.PathOf(group);
        var text = new StringBuilder();
        text.AppendLine($"Usage: backup-agent {path} COMMAND [options]");
        text.AppendLine();
        Paragraphs(text, Sentence(group.Description ?? ""));
        text.AppendLine();
        text.AppendLine("Commands:");
        Table(text, group.Subcommands.Where(c => !c.Hidden).Select(c => ($"{path} {c.Name}", c.Description ?? "")));
        GlobalSection(text, group);
        return text.ToString().TrimEnd();
    }

    private static string Overview(RootCommand root)
    {
        var text = new StringBuilder();
        text.AppendLine(Usage.Summary);
        text.AppendLine();
        text.AppendLine("Usage: backup-agent COMMAND [options]    (global options go anywhere on the line)");
        text.AppendLine();
        text.AppendLine("Commands:");
        Table(text, CliTree.Descendants(root).Where(c => c is AgentCommand && !c.Hidden).Select(c => (CliTree.PathOf(c), c.Description ?? "")));
        text.AppendLine();
        text.AppendLine("Global options:");
        Table(text, root.Options.Where(Shown).Select(Row));
        text.AppendLine();
        Paragraphs(text, Usage.Notes);
        text.AppendLine();
        text.Append("Run 'backup-agent help COMMAND' (or 'backup-agent COMMAND --help') for a command's options and details.");
        return text.ToString();
    }

    /// <summary>A summary as a sentence: "back up volumes" becomes "Back up volumes.".</summary>
    private static string Sentence(string summary) =>
        summary.Length == 0 ? "" : char.ToUpperInvariant(summary[0]) + summary[1..].TrimEnd('.') + ".";

    private static void GlobalSection(StringBuilder text, Command command)
    {
        var global = CliTree.OptionsInScope(command).Where(o => o.Recursive && Shown(o)).ToList();
        text.AppendLine();
        text.AppendLine("Global options:");
        Table(text, global.Select(Row));
    }

    /// <summary>Every option is shown, but the help option (-h, --help) is one line of its own.</summary>
    private static bool Shown(Option option) => !option.Hidden;

    private static (string, string) Row(Option option)
    {
        if (option is HelpOption)
        {
            return ("-h, --help", option.Description ?? "print this help");
        }

        var label = option.IsFlag() ? option.Name : $"{option.Name} {ValueName(option)}";
        var description = option.Description ?? "";
        if (option.IsRepeatable() && !description.Contains("repeatable", StringComparison.Ordinal))
        {
            description += " (repeatable)";
        }

        return (label, description);
    }

    private static string Synopsis(Option option) => option switch
    {
        HelpOption => "[--help]",
        _ when option.IsFlag() => $"[{option.Name}]",
        _ when option.IsRepeatable() => $"[{option.Name} {ValueName(option)} ...]",
        _ => $"[{option.Name} {ValueName(option)}]",
    };

    private static string ValueName(Option option) => option.HelpName ?? "VALUE";

    /// <summary>Words after <paramref name="lead"/>, wrapped with a hanging indent under the first word.</summary>
    private static void Wrap(StringBuilder text, string lead, IEnumerable<string> words)
    {
        var line = new StringBuilder(lead);
        var indent = new string(' ', lead.Length);
        foreach (var word in words)
        {
            if (line.Length > indent.Length && line.Length + word.Length > Width)
            {
                text.AppendLine(line.ToString().TrimEnd());
                line.Clear().Append(indent);
            }

            line.Append(word).Append(' ');
        }

        text.AppendLine(line.ToString().TrimEnd());
    }

    /// <summary>Paragraphs (separated by blank lines) wrapped to the width; a line starting with spaces is kept as it is.</summary>
    private static void Paragraphs(StringBuilder text, string prose)
    {
        foreach (var paragraph in prose.Replace("\r", "").Split("\n\n"))
        {
            if (paragraph.StartsWith(' '))
            {
                text.AppendLine(paragraph.TrimEnd());
            }
            else
            {
                foreach (var line in Lines(paragraph.Replace('\n', ' '), Width))
                {
                    text.AppendLine(line);
                }
            }

            text.AppendLine();
        }

        text.Length -= Environment.NewLine.Length; // no blank line after the last paragraph
    }

    private static void Table(StringBuilder text, IEnumerable<(string Label, string Description)> rows)
    {
        var list = rows.ToList();
        var column = Math.Min(list.Count == 0 ? 0 : list.Max(r => r.Label.Length), MaxLabel) + 4;
        foreach (var (label, description) in list)
        {
            var lines = Lines(description, Width - column);
            var first = $"  {label}";
            if (first.Length + 2 > column)
            {
                text.AppendLine(first);
                first = "";
            }

            for (var i = 0; i < lines.Count; i++)
            {
                text.AppendLine((i == 0 ? first : "").PadRight(column) + lines[i]);
            }

            if (lines.Count == 0)
            {
                text.AppendLine(first);
            }
        }
    }

    private static List<string> Lines(string prose, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in prose.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(word);
        }

        if (line.Length > 0)
        {
            lines.Add(line.ToString());
        }

        return lines;
    }
}
