namespace BackupAgent.Scheduling.Config.Validation;

public sealed class ConcurrencyOptionsValidator : IOptionsValidator<ConcurrencyOptions>
{
    public void Validate(ConcurrencyOptions options, string path, ConfigProblems problems)
    {
        if (options.MaxRuns is < 1 or > 64)
        {
            problems.Add($"{path}.maxRuns", $"{options.MaxRuns} is not between 1 and 64");
        }

        if (options.StopTimeoutSeconds is < 1 or > 3600)
        {
            problems.Add($"{path}.stopTimeoutSeconds", $"{options.StopTimeoutSeconds} is not between 1 and 3600");
        }
    }
}
