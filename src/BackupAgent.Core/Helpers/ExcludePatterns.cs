using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// What a backup leaves out of a source: GNU tar exclude patterns (<c>*</c>, <c>?</c>, <c>[...]</c>; <c>*</c> matches
/// <c>/</c> too), relative to the source's root. A pattern that starts with <c>/</c> (or <c>./</c>) is anchored at the
/// root (<c>/cache</c> is only the top-level <c>cache</c>); any other matches at any depth, as tar's own exclusions do
/// (<c>*.log</c>, <c>node_modules</c>). A directory that matches is left out with all it holds. They come from the
/// command line, a job's <c>exclude:</c> and a container's label <c>backup-agent.exclude=PATTERN,...</c>; the manifest
/// records them per archive. Each goes to tar as one argument <c>--exclude=PATTERN</c>, so no pattern can become an option.
/// </summary>
public static class ExcludePatterns
{
    /// <summary>The label by which a container names the patterns its mounts' backups leave out (comma-separated).</summary>
    public const string Label = "backup-agent.exclude";

    private const int MaxLength = 4096;

    /// <summary>The largest number of patterns a source may have (a manifest holding more is not one this agent writes).</summary>
    public const int MaxCount = 1000;

    /// <summary>Checks and normalizes patterns (duplicates and trailing slashes dropped); a bad one fails naming it.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> patterns, string from)
    {
        var normalized = new List<string>();
        foreach (var pattern in patterns)
        {
            if (Problem(pattern) is { } problem)
            {
                throw new BadInputException($"{from}: exclude pattern '{Printable(pattern)}' {problem}");
            }

            var trimmed = pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
            if (!normalized.Contains(trimmed, StringComparer.Ordinal))
            {
                normalized.Add(trimmed);
            }
        }

        return normalized.Count > MaxCount ? throw new BadInputException($"{from}: more than {MaxCount} exclude patterns") : normalized;
    }

    /// <summary>The patterns of a container's label: comma-separated, blanks around each dropped.</summary>
    public static IReadOnlyList<string> FromLabels(IReadOnlyDictionary<string, string> labels, string container) =>
        labels.TryGetValue(Label, out var value)
            ? Normalize(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), $"label {Label} of container '{container}'")
            : [];

    /// <summary>What is wrong with a pattern as this agent writes it into a manifest, or null.</summary>
    public static string? Problem(string? pattern) =>
        pattern is null or { Length: 0 } ? "is empty"
        : pattern.Length > MaxLength ? $"is longer than {MaxLength} characters"
        : pattern.Any(char.IsControl) ? "holds a control character"
        : pattern.Trim('/', '.') is { Length: 0 } ? "would leave out the whole source"
        : null;

    /// <summary>
    /// The arguments that make GNU tar leave the patterns out, after tar's options and before the member to archive:
    /// wildcards on, each pattern anchored or not, each one a single <c>--exclude=</c> argument.
    /// </summary>
    public static IEnumerable<string> TarArguments(IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0)
        {
            yield break;
        }

        yield return "--wildcards";
        bool? anchored = null;
        foreach (var pattern in patterns)
        {
            var rooted = pattern.StartsWith('/') || pattern.StartsWith("./", StringComparison.Ordinal);
            if (anchored != rooted)
            {
                yield return rooted ? "--anchored" : "--no-anchored";
                anchored = rooted;
            }

            yield return "--exclude=" + (rooted ? "./" + pattern[(pattern[0] == '/' ? 1 : 2)..].TrimStart('/') : pattern);
        }
    }

    private static string Printable(string? value) =>
        string.Concat((value ?? "").Take(80).Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
