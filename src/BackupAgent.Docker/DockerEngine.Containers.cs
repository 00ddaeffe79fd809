using System.Net;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace BackupAgent.Docker;

/// <summary>Images and container definitions: what moving containers to another engine needs.</summary>
public sealed partial class DockerEngine
{
    private static readonly HashSet<string> BuiltInNetworks = ["bridge", "host", "none", "default"];

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        try
        {
            await client.Images.InspectImageAsync(image, ct);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }, cancellationToken);

    public Task<Stream> SaveImageAsync(string image, CancellationToken cancellationToken) =>
        CallAsync((client, ct) => client.Images.SaveImageAsync(image, ct), cancellationToken);

    public Task LoadImageAsync(Stream images, CancellationToken cancellationToken) =>
        CallAsync((client, ct) => client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, images, new Progress<JSONMessage>(), ct), cancellationToken);

    public Task<ContainerDefinition> GetDefinitionAsync(string container, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        ContainerInspectResponse c;
        try
        {
            c = await client.Containers.InspectContainerAsync(container, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            throw new BadInputException($"no container named '{container}' on {Endpoint}");
        }

        var host = c.HostConfig ?? new HostConfig();
        var mounts = new List<MountDefinition>();
        foreach (var bind in host.Binds ?? [])
        {
            var parts = bind.Split(':');
            var kind = parts[0].StartsWith('/') ? MountKind.Bind : MountKind.Volume;
            mounts.Add(new MountDefinition(kind, parts[0], parts[1], parts.Length > 2 && parts[2].Split(',').Contains("ro")));
        }

        foreach (var m in host.Mounts ?? [])
        {
            mounts.Add(new MountDefinition(m.Type == "bind" ? MountKind.Bind : MountKind.Volume, m.Source ?? "", m.Target ?? "", m.ReadOnly ?? false));
        }

        // Anonymous volumes (-v /path, or VOLUME in the image): name them, so the target mounts the migrated volume.
        foreach (var path in (c.Config?.Volumes?.Keys ?? []).Where(p => mounts.All(m => m.Target != p)))
        {
            if (c.Mounts.FirstOrDefault(m => m.Destination == path && m.Type == "volume") is { Name: { } name } anonymous)
            {
                mounts.Add(new MountDefinition(MountKind.Volume, name, path, !anonymous.RW));
            }
        }

        var networks = (c.NetworkSettings?.Networks?.Keys ?? []).ToList();
        if (host.NetworkMode is { } mode && networks.Remove(mode))
        {
            networks.Insert(0, mode);
        }

        return new ContainerDefinition(c.Name.TrimStart('/'), c.Config?.Image ?? c.Image)
        {
            Command = c.Config?.Cmd?.ToList(),
            Entrypoint = c.Config?.Entrypoint?.ToList(),
            Env = c.Config?.Env?.ToList() ?? [],
            Labels = (c.Config?.Labels ?? new Dictionary<string, string>()).AsReadOnly(),
            WorkingDir = NullIfEmpty(c.Config?.WorkingDir),
            User = NullIfEmpty(c.Config?.User),
            Mounts = mounts,
            VolumesFrom = host.VolumesFrom?.ToList() ?? [],
            Ports = (host.PortBindings ?? new Dictionary<string, IList<PortBinding>>())
                .SelectMany(p => (p.Value ?? []).Select(b => new PortDefinition(p.Key, b.HostIP ?? "", b.HostPort ?? "")))
                .ToList(),
            RestartPolicy = host.RestartPolicy?.Name.ToString().ToLowerInvariant() is { } policy && policy != "undefined" ? policy : null,
            RestartRetries = host.RestartPolicy?.MaximumRetryCount ?? 0,
            Networks = networks,
        };
    }, cancellationToken);

    public Task CreateContainerAsync(ContainerDefinition d, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        var existing = d.Networks.Any(n => !BuiltInNetworks.Contains(n))
            ? (await client.Networks.ListNetworksAsync(new NetworksListParameters(), ct)).Select(n => n.Name).ToHashSet()
            : [];
        foreach (var network in d.Networks.Where(n => !BuiltInNetworks.Contains(n)))
        {
            if (!existing.Contains(network))
            {
                _log.Information("Creating network {Network} on {Endpoint}", network, Endpoint);
                await client.Networks.CreateNetworkAsync(new NetworksCreateParameters { Name = network }, ct);
            }
        }

        var parameters = new CreateContainerParameters
        {
            Name = d.Name,
            Image = d.Image,
            Cmd = d.Command?.ToList()!, // null: the image's own (the models say non-null; null is left out of the request)
            Entrypoint = d.Entrypoint?.ToList()!,
            Env = d.Env.ToList(),
            Labels = d.Labels.ToDictionary(),
            WorkingDir = d.WorkingDir ?? "",
            User = d.User ?? "",
            ExposedPorts = d.Ports.Select(p => p.ContainerPort).Distinct().ToDictionary(p => p, _ => new EmptyStruct()),
            HostConfig = new HostConfig
            {
                Mounts = d.Mounts.Select(m => new Mount
                {
                    Type = m.Kind == MountKind.Bind ? "bind" : "volume",
                    Source = m.Source,
                    Target = m.Target,
                    ReadOnly = m.ReadOnly,
                }).ToList(),
                VolumesFrom = d.VolumesFrom.ToList(),
                PortBindings = d.Ports.GroupBy(p => p.ContainerPort).ToDictionary(
                    g => g.Key,
                    g => (IList<PortBinding>)g.Select(p => new PortBinding { HostIP = p.HostIp, HostPort = p.HostPort }).ToList()),
                RestartPolicy = d.RestartPolicy is { } policy
                    ? new RestartPolicy { Name = Enum.Parse<RestartPolicyKind>(policy, ignoreCase: true), MaximumRetryCount = d.RestartRetries }
                    : null!,
                NetworkMode = d.Networks.FirstOrDefault()!,
            },
        };
        try
        {
            await client.Containers.CreateContainerAsync(parameters, ct);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw new BackupAgentException($"a container named '{d.Name}' already exists on {Endpoint}");
        }

        foreach (var network in d.Networks.Skip(1))
        {
            await client.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters { Container = d.Name }, ct);
        }
    }, cancellationToken);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
