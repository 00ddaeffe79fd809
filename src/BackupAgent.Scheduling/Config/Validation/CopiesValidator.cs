using BackupAgent.Core.Helpers;

namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>A job's <c>copies:</c> (each a destination other than its own, on backup, copy and prune jobs; a copy job needs one) and its <c>exclude:</c> patterns (backup jobs).</summary>
public sealed class CopiesValidator(AgentOptions agent) : IOptionsValidator<JobOptions>
{
    private static readonly string[] KindsWithCopies = ["backup", "copy", "prune"];

    public void Validate(JobOptions options, string path, ConfigProblems problems)
    {
        var kind = options.Kind.ToLowerInvariant();
        if (options.Copies.Count > 0 && !KindsWithCopies.Contains(kind))
        {
            problems.Add($"{path}.copies", $"a {kind} job has no copies (only {string.Join(", ", KindsWithCopies)} jobs do)");
        }
        else if (kind == "copy" && options.Copies.Count == 0)
        {
            problems.Add($"{path}.copies", "is missing: a copy job copies the sets of its destination to each of these destinations");
        }

        var own = options.Destination is { Length: > 0 } d ? Destinations.Resolve(agent, d) : null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Copies.Count; i++)
        {
            var at = $"{path}.copies[{i}]";
            var copy = options.Copies[i];
            if (string.IsNullOrWhiteSpace(copy))
            {
                problems.Add(at, "is empty");
            }
            else if (Destinations.Resolve(agent, copy) is not { } dest)
            {
                var names = agent.Destinations.Count == 0 ? "none are defined" : string.Join(", ", agent.Destinations.Keys);
                problems.Add(at, $"'{copy}' is not a destination name ({names}) nor a path or URL");
            }
            else if (!agent.Destinations.ContainsKey(copy) && Destinations.Problem(dest) is { } problem)
            {
                problems.Add(at, problem);
            }
            else if (dest == own)
            {
                problems.Add(at, $"'{copy}' is the job's own destination: a copy goes to another store");
            }
            else if (!seen.Add(dest))
            {
                problems.Add(at, $"'{copy}' is listed twice");
            }
        }

        if (options.Exclude.Count > 0 && kind != "backup")
        {
            problems.Add($"{path}.exclude", $"a {kind} job reads no volumes (exclude is for backup jobs)");
        }

        for (var i = 0; i < options.Exclude.Count; i++)
        {
            if (ExcludePatterns.Problem(options.Exclude[i]) is { } problem)
            {
                problems.Add($"{path}.exclude[{i}]", $"'{options.Exclude[i]}' {problem}");
            }
        }
    }
}
