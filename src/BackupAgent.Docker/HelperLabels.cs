using Docker.DotNet;
using Docker.DotNet.Models;
using Serilog;

namespace BackupAgent.Docker;

/// <summary>
/// Labels that mark helper containers as ours and name the agent process that owns them, so that
/// the leftovers of an agent that died can be removed without touching the helpers of one still running.
/// </summary>
internal static class HelperLabels
{
    public const string Helper = "backup-agent.helper";
    public const string Owner = "backup-agent.owner";
    public const string Purpose = "backup-agent.purpose";

    private static readonly Lazy<string> OwnerValue = new(() => $"{Environment.MachineName}:{Environment.ProcessId}:{StartTimeOf(Environment.ProcessId)}");

    public static Dictionary<string, string> For(string purpose) => new()
    {
        [Helper] = "true",
        [Owner] = OwnerValue.Value,
        [Purpose] = purpose,
    };

    public static async Task SweepLeftoversAsync(DockerClient client, ILogger log, CancellationToken cancellationToken)
    {
        var helpers = await client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{Helper}=true"] = true } },
            },
            cancellationToken);
        foreach (var helper in helpers.Where(h => h.Labels.TryGetValue(Owner, out var owner) && IsDead(owner)))
        {
            log.Warning("Removing helper container {Container} left behind by an agent that stopped ({Owner})", helper.ID[..12], helper.Labels[Owner]);
            try
            {
                await client.Containers.RemoveContainerAsync(helper.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
            }
            catch (DockerApiException e)
            {
                log.Warning("Could not remove helper container {Container}: {Error}", helper.ID[..12], e.Message);
            }
        }
    }

    /// <summary>True when the owner ran on this host and that process is gone (or its PID was reused).</summary>
    private static bool IsDead(string owner)
    {
        var parts = owner.Split(':');
        return parts.Length == 3 && parts[0] == Environment.MachineName && int.TryParse(parts[1], out var pid) &&
               StartTimeOf(pid) != parts[2];
    }

    /// <summary>
    /// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the PID, it names one
    /// process for the life of the host. (Process.StartTime is derived from the uptime at the call, so it jitters.)
    /// Empty when there is no such process.
    /// </summary>
    internal static string StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[19];
        }
        catch (IOException)
        {
            return "";
        }
    }
}
