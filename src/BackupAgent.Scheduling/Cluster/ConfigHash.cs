using System.Security.Cryptography;
using System.Text.Json;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Cluster;

/// <summary>
/// What every node of a fleet must agree on, as a hash: the jobs, the destinations and the named engines (not what is
/// a node's own: its name, state directory, logging, limits or metrics address). Secrets are in it only hashed.
/// </summary>
public static class ConfigHash
{
    public static string Of(AgentOptions options)
    {
        var shared = new
        {
            jobs = options.Jobs,
            destinations = new SortedDictionary<string, DestinationOptions>(options.Destinations, StringComparer.OrdinalIgnoreCase),
            engines = new SortedDictionary<string, NamedEngineOptions>(options.Engines, StringComparer.OrdinalIgnoreCase),
            engine = new { options.Engine.Host, options.Engine.HelperImage },
        };
        return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(shared)))[..16];
    }
}
