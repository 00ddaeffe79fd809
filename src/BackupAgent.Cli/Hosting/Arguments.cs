using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>An option a command takes: <c>--name VALUE</c> (or <c>--name=VALUE</c>), or a flag with no value.</summary>
public sealed record OptionSpec(string Name, bool IsFlag = false, bool Repeatable = false);

/// <summary>Parsed options of one command. Every problem names the option it is about.</summary>
public sealed class Arguments
{
    public static readonly IReadOnlyList<OptionSpec> Global =
    [
        new("--docker-host"),
        new("--docker-cert-path"),
        new("--helper-image"),
        new("--helper-timeout"),
        new("--state-dir"),
        new("--verbose", IsFlag: true),
    ];

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private Arguments(string command) => Command = command;

    public string Command { get; }

    public static Arguments Parse(string command, IReadOnlyList<string> tokens, IReadOnlyList<OptionSpec> options)
    {
        var specs = options.Concat(Global).ToDictionary(o => o.Name, StringComparer.Ordinal);
        var parsed = new Arguments(command);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                throw new BadInputException($"{command}: unexpected argument '{token}' (options start with --; see 'backup-agent {command} --help')");
            }

            var eq = token.IndexOf('=');
            var name = eq > 0 ? token[..eq] : token;
            if (!specs.TryGetValue(name, out var spec))
            {
                throw new BadInputException($"{command}: unknown option '{name}' (see 'backup-agent {command} --help')");
            }

            string value;
            if (spec.IsFlag)
            {
                value = eq > 0 ? throw new BadInputException($"{command}: {name} takes no value") : "true";
            }
            else if (eq > 0)
            {
                value = token[(eq + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = tokens[++i];
            }
            else
            {
                throw new BadInputException($"{command}: {name} needs a value");
            }

            if (!parsed._values.TryGetValue(name, out var list))
            {
                parsed._values[name] = list = [];
            }
            else if (!spec.Repeatable)
            {
                throw new BadInputException($"{command}: {name} is given more than once");
            }

            list.Add(value);
        }

        return parsed;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public string Required(string name) => Value(name) ?? throw new BadInputException($"{Command}: {name} is required (see 'backup-agent {Command} --help')");

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public bool Flag(string name) => _values.ContainsKey(name);
}
