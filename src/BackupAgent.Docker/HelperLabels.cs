using BackupAgent.Core.Consistency;
using Docker.DotNet;
using Docker.DotNet.Models;
using Serilog;

namespace BackupAgent.Docker;

/// <summary>
/// Labels that mark helper containers and scratch volumes as ours and name the agent process that owns them, so that
/// the leftovers of an agent that died can be removed without touching those of one still running.
/// </summary>
internal static class HelperLabels
{
    public const string Helper = "backup-agent.helper";
    public const string Owner = "backup-agent.owner";
    public const string Purpose = "backup-agent.purpose";
    public const string Scratch = "backup-agent.scratch";

    /// <summary>How the names of scratch volumes begin: only those are swept (the labels alone could be copied onto any volume).</summary>
    public const string ScratchPrefix = "backup-agent-scratch-";

    public static Dictionary<string, string> For(string purpose) => new()
    {
        [Helper] = "true",
        [Owner] = ProcessIdentity.Current,
        [Purpose] = purpose,
    };

    /// <summary>Removes the helper containers, then the scratch volumes, of agents that died.</summary>
    public static async Task SweepLeftoversAsync(DockerClient client, ILogger log, CancellationToken cancellationToken)
    {
        var helpers = await client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{Helper}=true"] = true } },
            },
            cancellationToken);
        foreach (var helper in helpers.Where(h => h.Labels.TryGetValue(Owner, out var owner) && !ProcessIdentity.IsAlive(owner)))
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

        var volumes = await client.Volumes.ListAsync(
            new VolumesListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{Helper}=true"] = true } } },
            cancellationToken);
        foreach (var volume in (volumes.Volumes ?? []).Where(v => v.Name.StartsWith(ScratchPrefix, StringComparison.Ordinal) &&
                     v.Labels?.TryGetValue(Owner, out var owner) == true && !ProcessIdentity.IsAlive(owner)))
        {
            log.Warning("Removing scratch volume {Volume} left behind by an agent that stopped ({Owner})", volume.Name, volume.Labels[Owner]);
            try
            {
                await client.Volumes.RemoveAsync(volume.Name, force: true, cancellationToken);
            }
            catch (DockerApiException e)
            {
                log.Warning("Could not remove scratch volume {Volume}: {Error}", volume.Name, e.Message);
            }
        }
    }
}
