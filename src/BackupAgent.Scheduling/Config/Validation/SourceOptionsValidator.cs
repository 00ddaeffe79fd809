namespace BackupAgent.Scheduling.Config.Validation;

public sealed class SourceOptionsValidator : IOptionsValidator<SourceOptions>
{
    public void Validate(SourceOptions options, string path, ConfigProblems problems)
    {
        for (var i = 0; i < options.Volumes.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Volumes[i]))
            {
                problems.Add($"{path}.volumes[{i}]", "is empty");
            }
        }

        for (var i = 0; i < options.Containers.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Containers[i]))
            {
                problems.Add($"{path}.containers[{i}]", "is empty");
            }
        }

        if (options.LabelSelector is { } selector && (selector.Length == 0 || selector.StartsWith('=') || selector.Any(char.IsWhiteSpace)))
        {
            problems.Add($"{path}.labelSelector", $"'{selector}' is not a label filter: write KEY or KEY=VALUE");
        }
    }
}
