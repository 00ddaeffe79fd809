namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>The discovery settings; the destination, time zone and compression are checked on each labelled container's job.</summary>
public sealed class DiscoveryOptionsValidator : IOptionsValidator<DiscoveryOptions>
{
    public void Validate(DiscoveryOptions options, string path, ConfigProblems problems)
    {
        if (options.IntervalSeconds is < 1 or > 3600)
        {
            problems.Add($"{path}.intervalSeconds", $"{options.IntervalSeconds} is not between 1 and 3600");
        }

        if (options.TimeZone is { Length: > 0 } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            problems.Add($"{path}.timeZone", $"'{zone}' is not a known time zone (use an IANA name such as UTC or Europe/Berlin)");
        }
    }
}
