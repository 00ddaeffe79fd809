using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;

namespace BackupAgent.Scheduling.Config;

/// <summary>Turns a job's destination (a name from destinations:, or a DEST string) into the DEST the CLI takes.</summary>
public static class Destinations
{
    /// <summary>The DEST string, or null when <paramref name="value"/> is neither a destination name nor a path or URL.</summary>
    public static string? Resolve(AgentOptions options, string value)
    {
        if (options.Destinations.TryGetValue(value, out var named))
        {
            return named.Url is { Length: > 0 } url ? Absolute(options, url) : null;
        }

        return value.Contains('/') ? Absolute(options, value) : null;
    }

    /// <summary>What is wrong with DEST, or null when it names a store this agent can open.</summary>
    public static string? Problem(string dest)
    {
        if (dest.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) && dest[5..].Split('/', 2)[0].Length == 0)
        {
            return $"'{dest}' has no bucket name: write s3://BUCKET[/PREFIX]";
        }

        try
        {
            StoreLocation.Parse(dest, "the destination");
            return null;
        }
        catch (BadInputException e)
        {
            return e.Message;
        }
    }

    /// <summary>URLs and absolute paths as given; other paths relative to the configuration file.</summary>
    public static string Absolute(AgentOptions options, string value) =>
        value.Contains("://", StringComparison.Ordinal) || value.StartsWith('/') ? value : options.RelativeToConfig(value);
}
