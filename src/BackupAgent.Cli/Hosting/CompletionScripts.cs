using System.CommandLine;
using System.CommandLine.Completions;
using System.Text;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// Completion scripts for bash, zsh and fish, written from the tree: each command's subcommands and options (global
/// ones too), and the values of options and arguments that take a fixed set. Paths complete as files.
/// </summary>
internal static class CompletionScripts
{
    private sealed record Node(string Path, IReadOnlyList<(string Name, string Description)> Subcommands, IReadOnlyList<Option> Options, IReadOnlyList<string> Values);

    public static string Bash(Command root)
    {
        var nodes = Nodes(root);
        var text = new StringBuilder();
        text.AppendLine("# bash completion for backup-agent: source it, or put it in /etc/bash_completion.d/backup-agent");
        text.AppendLine("_backup_agent() {");
        text.AppendLine("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" path=\"\" i word");
        text.AppendLine("    for ((i = 1; i < COMP_CWORD; i++)); do");
        text.AppendLine("        word=\"${COMP_WORDS[i]}\"");
        text.AppendLine("        case \"${COMP_WORDS[i-1]}\" in");
        text.AppendLine($"            {string.Join('|', ValueOptions(nodes))}) continue ;;");
        text.AppendLine("        esac");
        text.AppendLine("        case \"$word\" in");
        text.AppendLine("            -*) ;;");
        text.AppendLine("            *) case \"$path $word\" in");
        foreach (var node in nodes.Skip(1))
        {
            text.AppendLine($"                   {Quote(Pattern(node.Path))}) path={Quote(node.Path)} ;;");
        }

        text.AppendLine("               esac ;;");
        text.AppendLine("        esac");
        text.AppendLine("    done");
        text.AppendLine("    case \"$prev\" in");
        foreach (var group in nodes.SelectMany(n => n.Options).Where(o => !o.IsFlag()).GroupBy(o => string.Join(' ', o.Choices())))
        {
            var names = string.Join('|', group.Select(o => o.Name).Distinct());
            text.AppendLine(group.Key.Length == 0
                ? $"        {names}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"
                : $"        {names}) COMPREPLY=($(compgen -W {Quote(group.Key)} -- \"$cur\")); return ;;");
        }

        text.AppendLine("    esac");
        text.AppendLine("    local words=\"\"");
        text.AppendLine("    case \"$path\" in");
        foreach (var node in nodes)
        {
            var words = node.Subcommands.Select(s => s.Name).Concat(node.Values).Concat(node.Options.SelectMany(CliTree.Names).Where(n => n.StartsWith("--", StringComparison.Ordinal)));
            text.AppendLine($"        {Quote(node.Path)}) words={Quote(string.Join(' ', words))} ;;");
        }

        text.AppendLine("    esac");
        text.AppendLine("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))");
        text.AppendLine("}");
        text.AppendLine("complete -o default -F _backup_agent backup-agent");
        return text.ToString();
    }

    public static string Zsh(Command root)
    {
        var nodes = Nodes(root);
        var text = new StringBuilder();
        text.AppendLine("#compdef backup-agent");
        text.AppendLine("# zsh completion for backup-agent: put it in a directory of $fpath as _backup-agent, or source it");
        text.AppendLine("_backup_agent() {");
        text.AppendLine("    local cmdpath=\"\" i word");
        text.AppendLine("    local -a entries");
        text.AppendLine("    for ((i = 2; i < CURRENT; i++)); do");
        text.AppendLine("        word=\"${words[i]}\"");
        text.AppendLine("        case \"${words[i-1]}\" in");
        text.AppendLine($"            ({string.Join('|', ValueOptions(nodes))}) continue ;;");
        text.AppendLine("        esac");
        text.AppendLine("        case \"$word\" in");
        text.AppendLine("            (-*) ;;");
        text.AppendLine("            (*) case \"$cmdpath $word\" in");
        foreach (var node in nodes.Skip(1))
        {
            text.AppendLine($"                   ({Quote(Pattern(node.Path))}) cmdpath={Quote(node.Path)} ;;");
        }

        text.AppendLine("                esac ;;");
        text.AppendLine("        esac");
        text.AppendLine("    done");
        text.AppendLine("    case \"${words[CURRENT-1]}\" in");
        foreach (var group in nodes.SelectMany(n => n.Options).Where(o => !o.IsFlag()).GroupBy(o => string.Join(' ', o.Choices())))
        {
            var names = string.Join('|', group.Select(o => o.Name).Distinct());
            text.AppendLine(group.Key.Length == 0 ? $"        ({names}) _files; return ;;" : $"        ({names}) compadd -- {group.Key}; return ;;");
        }

        text.AppendLine("    esac");
        text.AppendLine("    case \"$cmdpath\" in");
        foreach (var node in nodes)
        {
            var entries = node.Subcommands.Select(s => Describe(s.Name, s.Description))
                .Concat(node.Values.Select(v => Describe(v, "")))
                .Concat(node.Options.SelectMany(o => CliTree.Names(o).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Select(n => Describe(n, o.Description ?? ""))));
            text.AppendLine($"        ({Quote(node.Path)}) entries=({string.Join(' ', entries)}) ;;");
        }

        text.AppendLine("    esac");
        text.AppendLine("    _describe -t commands 'backup-agent' entries");
        text.AppendLine("}");
        text.AppendLine("if [[ \"${zsh_eval_context[-1]}\" == loadautofunc ]]; then");
        text.AppendLine("    _backup_agent \"$@\"");
        text.AppendLine("else");
        text.AppendLine("    compdef _backup_agent backup-agent");
        text.AppendLine("fi");
        return text.ToString();
    }

    public static string Fish(Command root)
    {
        var nodes = Nodes(root);
        var text = new StringBuilder();
        text.AppendLine("# fish completion for backup-agent: put it in ~/.config/fish/completions/backup-agent.fish");
        text.AppendLine("complete -c backup-agent -f");
        foreach (var node in nodes)
        {
            // The words of the node's path given, and none of its subcommands yet.
            var words = node.Path.Length == 0 ? [] : node.Path.Split(' ');
            var seen = words.Select(w => $"__fish_seen_subcommand_from {w}");
            var condition = node.Path.Length == 0
                ? "__fish_use_subcommand"
                : string.Join("; and ", seen.Concat(node.Subcommands.Count > 0 ? [$"not __fish_seen_subcommand_from {string.Join(' ', node.Subcommands.Select(s => s.Name))}"] : []));
            foreach (var (name, description) in node.Subcommands)
            {
                text.AppendLine($"complete -c backup-agent -n {Quote(condition)} -a {name} -d {Quote(Short(description))}");
            }

            if (node.Values.Count > 0)
            {
                text.AppendLine($"complete -c backup-agent -n {Quote(condition)} -a {Quote(string.Join(' ', node.Values))}");
            }

            if (node.Path.Length == 0)
            {
                continue; // the global options are offered everywhere, below
            }

            foreach (var option in node.Options.Where(o => !o.Recursive))
            {
                text.AppendLine($"complete -c backup-agent -n {Quote(string.Join("; and ", seen))} {Fish(option)}");
            }
        }

        foreach (var option in nodes[0].Options.Where(o => o.Recursive || o.Name == CliTree.VersionOption))
        {
            text.AppendLine($"complete -c backup-agent {Fish(option)}");
        }

        return text.ToString();
    }

    private static string Fish(Option option)
    {
        var longs = CliTree.Names(option).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Select(n => $"-l {n[2..]}");
        var shorts = CliTree.Names(option).Where(n => n.Length == 2 && n[0] == '-').Select(n => $"-s {n[1..]}");
        var value = option.IsFlag() ? "" : option.Choices() is { Count: > 0 } choices ? $" -x -a {Quote(string.Join(' ', choices))}" : " -r -F";
        return $"{string.Join(' ', longs.Concat(shorts))}{value} -d {Quote(Short(option.Description ?? ""))}";
    }

    /// <summary>The root and every command below it, with what can follow each.</summary>
    private static List<Node> Nodes(Command root)
    {
        var nodes = new List<Node>();
        foreach (var command in (IEnumerable<Command>)[root, .. CliTree.Descendants(root)])
        {
            var values = command.Arguments.SelectMany(a => a.GetCompletions(CompletionContext.Empty)).Select(c => c.Label).ToList();
            var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => (c.Name, c.Description ?? "")).ToList();
            nodes.Add(new Node(CliTree.PathOf(command), subcommands, CliTree.OptionsInScope(command).Where(o => !o.Hidden).ToList(), values));
        }

        return nodes;
    }

    /// <summary>What "$path $word" reads when <paramref name="path"/> is reached: " backup" from the root, "config check" from config.</summary>
    private static string Pattern(string path) => path.Contains(' ', StringComparison.Ordinal) ? path : " " + path;

    private static IEnumerable<string> ValueOptions(List<Node> nodes) =>
        nodes.SelectMany(n => n.Options).Where(o => !o.IsFlag()).SelectMany(CliTree.Names).Distinct();

    private static string Describe(string name, string description) => Quote(description.Length == 0 ? name : $"{name.Replace(":", "\\:")}:{Short(description)}");

    /// <summary>The first clause of a description, for a shell's one-line menu.</summary>
    private static string Short(string description)
    {
        var cut = description.IndexOfAny([';', '(']);
        var text = (cut > 10 ? description[..cut] : description).Trim();
        return text.Length > 70 ? text[..67] + "..." : text;
    }

    /// <summary>A single-quoted word for sh, zsh and fish.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
