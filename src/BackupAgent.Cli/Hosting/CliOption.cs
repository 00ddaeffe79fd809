using System.CommandLine;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// The kinds of option the commands declare: <c>--name VALUE</c> (or <c>--name=VALUE</c>), a repeatable one, and a
/// flag with no value. Each command lists its own in its file; help, completion and parsing read them from there.
/// </summary>
public static class CliOption
{
    /// <summary>An option that takes one value, given at most once.</summary>
    public static Option<string> Value(string name, string valueName, string description, params string[] choices)
    {
        var option = new Option<string>(name) { HelpName = valueName, Description = description, Arity = ArgumentArity.ExactlyOne };
        if (choices.Length > 0)
        {
            option.HelpName = string.Join('|', choices); // in the order given; completions come sorted
            option.CompletionSources.Add(choices);
        }

        return option;
    }

    /// <summary>An option that takes one value and may be given again for more.</summary>
    public static Option<string[]> Repeatable(string name, string valueName, string description) =>
        new(name) { HelpName = valueName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    /// <summary>A flag: present or not, with no value.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    public static bool IsFlag(this Option option) => option.Arity.MaximumNumberOfValues == 0;

    public static bool IsRepeatable(this Option option) => option.Arity.MaximumNumberOfValues > 1;

    /// <summary>The values an option takes from a fixed list (completion and help show them), else none.</summary>
    public static IReadOnlyList<string> Choices(this Option option) => option.IsFlag()
        ? []
        : option.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label).ToList();
}
