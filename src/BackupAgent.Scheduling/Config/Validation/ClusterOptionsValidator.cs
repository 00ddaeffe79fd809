namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>cluster:: a connection string Npgsql reads, a node name, check-in times Quartz takes.</summary>
public sealed class ClusterOptionsValidator : IOptionsValidator<ClusterOptions>
{
    public void Validate(ClusterOptions options, string path, ConfigProblems problems)
    {
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            problems.Add($"{path}.postgres", "is missing: the connection string of the fleet's PostgreSQL (Host=...;Database=...;Username=...)");
        }
        else
        {
            try
            {
                var builder = new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres);
                if (string.IsNullOrEmpty(builder.Host))
                {
                    problems.Add($"{path}.postgres", "names no Host (a host name, or the directory of a unix socket)");
                }
            }
            catch (ArgumentException e)
            {
                // Never echoed: it may hold a password.
                problems.Add($"{path}.postgres", $"is not a PostgreSQL connection string (Host=...;Database=...;Username=...): {e.Message.Split('\n')[0]}");
            }
        }

        if (options.NodeName is { } node && (node.Length is 0 or > 80 || !node.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            problems.Add($"{path}.nodeName", $"'{node}' must be 1 to 80 letters, digits, '.', '_' or '-'");
        }

        if (options.CheckinIntervalSeconds is < 1 or > 300)
        {
            problems.Add($"{path}.checkinIntervalSeconds", $"{options.CheckinIntervalSeconds} is not between 1 and 300");
        }

        if (options.CheckinMisfireThresholdSeconds is < 1 or > 600)
        {
            problems.Add($"{path}.checkinMisfireThresholdSeconds", $"{options.CheckinMisfireThresholdSeconds} is not between 1 and 600");
        }
    }
}
