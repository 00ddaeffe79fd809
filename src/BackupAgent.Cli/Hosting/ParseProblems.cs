using System.CommandLine;
using System.CommandLine.Parsing;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// What System.CommandLine refuses, as one line that names the culprit (and the nearest name when it looks like a
/// typo), instead of its message followed by the whole help.
/// </summary>
internal static class ParseProblems
{
    /// <summary>The first problem of <paramref name="result"/> (parsed from <paramref name="argv"/>), or null.</summary>
    public static string? First(ParseResult result, IReadOnlyList<string> argv)
    {
        var command = result.CommandResult.Command;
        var path = CliTree.PathOf(command);
        var who = path.Length == 0 ? "" : path + ": ";
        var see = $"see 'backup-agent {(path.Length == 0 ? "" : path + " ")}--help'";
        var scope = CliTree.OptionsInScope(command).ToList();
        string? Named(string token, Func<Option, bool> kind) =>
            scope.Where(kind).SelectMany(CliTree.Names).FirstOrDefault(n => n == token);

        for (var i = 0; i < argv.Count; i++)
        {
            var token = argv[i];
            if (token == "--")
            {
                break;
            }

            // An option's value is never taken from the next option: --to --json is a missing value, as before.
            if (Named(token, o => !o.IsFlag()) is { } valued && (i + 1 == argv.Count || argv[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                return $"{who}{valued} needs a value";
            }

            var eq = token.IndexOf('=');
            if (token.StartsWith("--", StringComparison.Ordinal) && eq > 0 && Named(token[..eq], o => o.IsFlag()) is { } flag)
            {
                return $"{who}{flag} takes no value";
            }
        }

        foreach (var option in scope.Where(o => !o.IsRepeatable()))
        {
            if (result.GetResult(option) is { IdentifierTokenCount: > 1 })
            {
                return $"{who}{option.Name} is given more than once";
            }
        }

        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var name = token.Split('=')[0];
                return $"{who}unknown option '{name}'{Suggest.DidYouMean(name, scope.Where(o => !o.Hidden).SelectMany(CliTree.Names).Where(n => n.StartsWith("--", StringComparison.Ordinal)))} ({see})";
            }

            return command.Subcommands.Count > 0
                ? $"{who}unknown command '{token}'{Suggest.DidYouMean(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} ({see})"
                : $"{who}unexpected argument '{token}' (options start with --; {see})";
        }

        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case OptionResult { Tokens.Count: 0 } option:
                    return $"{who}{option.Option.Name} needs a value";
                case ArgumentResult { Tokens.Count: 0 } argument:
                    return $"{who}{argument.Argument.HelpName ?? argument.Argument.Name.ToUpperInvariant()} is missing ({see})";
                case CommandResult { Command.Subcommands.Count: 0, Command.Arguments.Count: > 0 } leaf when leaf.Tokens.Count == 0:
                    var missing = leaf.Command.Arguments[0];
                    return $"{who}{missing.HelpName ?? missing.Name.ToUpperInvariant()} is missing ({see})";
                case CommandResult { Command.Subcommands.Count: > 0 } group:
                    return path.Length == 0
                        ? $"name a command ({see})"
                        : $"{who}name one of its commands: {string.Join(", ", group.Command.Subcommands.Select(c => c.Name))} ({see})";
            }

            return who + string.Join(' ', error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return null;
    }
}
