using BackupAgent.Wiring;

namespace BackupAgent.Scheduling.Config.Validation;

public sealed class EngineOptionsValidator : IOptionsValidator<EngineOptions>
{
    public void Validate(EngineOptions options, string path, ConfigProblems problems)
    {
        // The address is checked where the engine is opened (DockerEngine), as every address is.
        if (options.HelperImage is { Length: 0 })
        {
            problems.Add($"{path}.helperImage", "is empty");
        }

        if (options.HelperTimeoutSeconds is < 0 or > AgentSettings.MaxHelperTimeoutSeconds)
        {
            problems.Add($"{path}.helperTimeoutSeconds", $"{options.HelperTimeoutSeconds} is not between 0 (no limit) and {AgentSettings.MaxHelperTimeoutSeconds}");
        }
    }
}
