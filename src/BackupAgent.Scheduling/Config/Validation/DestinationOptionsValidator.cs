namespace BackupAgent.Scheduling.Config.Validation;

public sealed class DestinationOptionsValidator(AgentOptions agent) : IOptionsValidator<DestinationOptions>
{
    public void Validate(DestinationOptions options, string path, ConfigProblems problems)
    {
        if (string.IsNullOrWhiteSpace(options.Url))
        {
            problems.Add($"{path}.url", "is missing: give a directory path, file:///PATH or s3://BUCKET[/PREFIX]");
        }
        else if (Destinations.Problem(Destinations.Absolute(agent, options.Url)) is { } problem)
        {
            problems.Add($"{path}.url", problem);
        }
    }
}
