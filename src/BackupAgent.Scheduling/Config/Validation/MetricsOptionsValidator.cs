using BackupAgent.Scheduling.Monitoring;

namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>metrics.listen: HOST:PORT the agent can listen on.</summary>
public sealed class MetricsOptionsValidator : IOptionsValidator<MetricsOptions>
{
    public void Validate(MetricsOptions options, string path, ConfigProblems problems)
    {
        if (options.Listen is { Length: > 0 } listen && ListenAddress.Parse(listen.Trim(), out var problem) is null)
        {
            problems.Add($"{path}.listen", problem!);
        }
    }
}
