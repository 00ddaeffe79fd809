namespace BackupAgent.Core.Engine;

/// <summary>
/// The container engine in the agent's own terms. One implementation talks to Docker; the operations
/// (backup, restore, verify) only ever see this.
/// </summary>
public interface IContainerEngine : IAsyncDisposable
{
    /// <summary>Where the engine is, for messages.</summary>
    string Endpoint { get; }

    /// <summary>
    /// Checks that the engine answers and the helper image is there (pulling it if it can), and removes helper
    /// containers left behind by agents that died. Throws a clear error naming what to do otherwise.
    /// </summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Returns the container and its mounts; throws a BadInputException naming it when it does not exist.</summary>
    Task<ContainerInfo> GetContainerAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>Returns the volume, or null when there is none of that name.</summary>
    Task<VolumeInfo?> FindVolumeAsync(string name, CancellationToken cancellationToken);

    Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken);

    /// <summary>Removes a volume the agent created for itself (a scratch volume); a missing one is not an error.</summary>
    Task RemoveVolumeAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates and starts a helper container. Dispose it to remove it, on every path.</summary>
    Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken);
}

public sealed record ContainerInfo(string Id, string Name, IReadOnlyList<MountInfo> Mounts);

/// <summary>A mount of a container: a named or anonymous volume, or a bind mount (Name is then the host path).</summary>
public sealed record MountInfo(MountKind Kind, string Name, string Destination, string? Driver);

public enum MountKind
{
    Volume,
    Bind,
    Other,
}

public sealed record VolumeInfo(
    string Name,
    string Driver,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>What a helper mounts and runs. Paths in <see cref="Command"/> refer to the mounts' targets.</summary>
public sealed record HelperSpec(string Purpose, IReadOnlyList<string> Command)
{
    /// <summary>Mount every mount of this container, read-only, at the paths that container sees.</summary>
    public string? VolumesFromContainer { get; init; }

    public IReadOnlyList<HelperMount> Mounts { get; init; } = [];

    /// <summary>Whether the helper reads its standard input (restore).</summary>
    public bool OpenStdin { get; init; }
}

/// <summary>A volume (by name) or a host directory (absolute path) mounted into a helper.</summary>
public sealed record HelperMount(string Source, string Target, bool ReadOnly)
{
    public bool IsHostPath => Source.StartsWith('/');
}

/// <summary>A running helper container.</summary>
public interface IHelper : IAsyncDisposable
{
    /// <summary>The helper's standard output; its standard error is collected for <see cref="WaitAsync"/>.</summary>
    Stream StandardOutput { get; }

    /// <summary>Copies <paramref name="source"/> to the helper's standard input, then closes it. Stops if the helper exits.</summary>
    Task FeedInputAsync(Stream source, CancellationToken cancellationToken);

    /// <summary>Waits for the helper to exit; returns its exit code and the end of its standard error.</summary>
    Task<HelperExit> WaitAsync(CancellationToken cancellationToken);
}

public sealed record HelperExit(long ExitCode, string Stderr);
