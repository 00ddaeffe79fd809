namespace BackupAgent.Core.Engine;

/// <summary>
/// The container engine in the agent's own terms. One implementation talks to Docker; the operations
/// (backup, restore, verify, migrate) only ever see this. It is the sum of the roles below, so that a consumer (and a
/// test's fake) can take only the role it needs.
/// </summary>
public interface IContainerEngine : IVolumeEngine, IContainerControl, IHelperEngine, IImageEngine, IAsyncDisposable
{
    /// <summary>Where the engine is, for messages.</summary>
    string Endpoint { get; }

    /// <summary>
    /// Checks that the engine answers and the helper image is there (pulling it if it can), and removes helper
    /// containers and scratch volumes left behind by agents that died. Throws a clear error naming what to do otherwise.
    /// </summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Who the engine is, the same whichever endpoint reaches it: its ID, host name and data root (as <c>docker info</c>
    /// shows them; engines on one host may share an ID, never a data root). Hosts cloned from one image may look alike.
    /// </summary>
    Task<string> GetIdentityAsync(CancellationToken cancellationToken);
}

/// <summary>The engine's volumes.</summary>
public interface IVolumeEngine
{
    /// <summary>Returns the volume, or null when there is none of that name.</summary>
    Task<VolumeInfo?> FindVolumeAsync(string name, CancellationToken cancellationToken);

    Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a volume for the agent's own use (a deep verify's scratch volume, a migration's probe), labelled as its
    /// own like its helpers: the agent removes it with <see cref="RemoveVolumeAsync"/>, and those of agents that died
    /// are swept by <see cref="IContainerEngine.PrepareAsync"/>. Returns its name.
    /// </summary>
    Task<string> CreateScratchVolumeAsync(string purpose, CancellationToken cancellationToken);

    /// <summary>Removes a volume the agent created (a scratch volume, or a restore's target that it undoes); a missing one is not an error.</summary>
    Task RemoveVolumeAsync(string name, CancellationToken cancellationToken);
}

/// <summary>The engine's containers (helpers excluded): finding, stopping and starting them, running hooks in them, recreating them elsewhere.</summary>
public interface IContainerControl
{
    /// <summary>Returns the container and its mounts; throws a BadInputException naming it when it does not exist.</summary>
    Task<ContainerInfo> GetContainerAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>Returns the container and its mounts, or null when there is none of that name or ID.</summary>
    Task<ContainerInfo?> FindContainerAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>All containers, running or not, with their mounts and labels (helpers excluded); optionally only those with a label ("KEY" or "KEY=VALUE").</summary>
    Task<IReadOnlyList<ContainerInfo>> ListContainersAsync(string? labelFilter, CancellationToken cancellationToken);

    /// <summary>Stops a container, waiting up to <paramref name="timeout"/> (else its own stop timeout) before it is killed.</summary>
    Task StopContainerAsync(string id, TimeSpan? timeout, CancellationToken cancellationToken);

    /// <summary>Starts a container; throws naming it when it does not start.</summary>
    Task StartContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="lines"/> lines of a container's output, or "" when its log cannot be read (logging off).</summary>
    Task<string> GetLogTailAsync(string id, int lines, CancellationToken cancellationToken);

    /// <summary>Runs a command inside a running container (a hook); returns its exit code and output, or throws <see cref="ExecTimeoutException"/>.</summary>
    Task<ExecResult> ExecAsync(string container, IReadOnlyList<string> command, string? user, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>How to create the container again elsewhere.</summary>
    Task<ContainerDefinition> GetDefinitionAsync(string container, CancellationToken cancellationToken);

    /// <summary>Creates a container (stopped) from a definition, creating the user-defined networks it needs.</summary>
    Task CreateContainerAsync(ContainerDefinition definition, CancellationToken cancellationToken);
}

/// <summary>The agent's helper containers, which read and write volumes for it.</summary>
public interface IHelperEngine
{
    /// <summary>The helper image this engine runs.</summary>
    string HelperImage { get; }

    /// <summary>Creates and starts a helper container. Dispose it to remove it, on every path.</summary>
    Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Whether this engine's helpers can be handed a file of the agent's (<see cref="HelperSpec.WorkFile"/>): only
    /// where they reach the agent's run directory (a local engine, the FIFO path). Elsewhere a job moves such a file
    /// through a scratch volume of its own.
    /// </summary>
    Task<bool> CanShareFilesAsync(CancellationToken cancellationToken);
}

/// <summary>The engine's images (a migration copies those the target lacks).</summary>
public interface IImageEngine
{
    Task<bool> HasImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>The image as a tar stream (docker save).</summary>
    Task<Stream> SaveImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Loads images from a tar stream (docker load).</summary>
    Task LoadImageAsync(Stream images, CancellationToken cancellationToken);
}

public sealed record ContainerInfo(string Id, string Name, IReadOnlyList<MountInfo> Mounts)
{
    public bool Running { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The container's own stop timeout, when it has one.</summary>
    public TimeSpan? StopTimeout { get; init; }

    /// <summary>The exit code of its last run, when it has exited (inspected containers only).</summary>
    public long? ExitCode { get; init; }

    /// <summary>Whether it mounts the volume (by name) or the host path (bind mount).</summary>
    public bool Uses(string volumeOrPath) => Mounts.Any(m => m.Kind != MountKind.Other && m.Name == volumeOrPath);
}

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

    /// <summary>
    /// Whether the helper writes file system metadata (restore: owners, modes, times). Helpers get only the
    /// capabilities their work needs: reading any file, and for writers setting owners and modes; never mknod.
    /// </summary>
    public bool Writes { get; init; }

    /// <summary>A small file the helper works on in place (GNU tar's snapshot file); only where <see cref="IHelperEngine.CanShareFilesAsync"/>.</summary>
    public HelperWorkFile? WorkFile { get; init; }
}

/// <summary>
/// A file of the agent's that a helper reads and rewrites in place at <paramref name="ContainerPath"/> (its only
/// writable path besides /tmp), starting as <paramref name="Content"/> (empty: a new file). The engine makes it in
/// the agent's own private run directory, never in a path named by anything else, and bind-mounts that one file; the
/// agent reads it back through the handle it made it with (<see cref="IHelper.TakeWorkFile"/>), so nothing a helper
/// does in that directory decides what the agent reads.
/// </summary>
public sealed record HelperWorkFile(string ContainerPath, ReadOnlyMemory<byte> Content);

/// <summary>
/// A volume (by name) or a host directory (absolute path) mounted into a helper. A volume is mounted as it is: the
/// engine never fills an empty one with the image's directory at the mount point (which would change its root's owner
/// and mode). Which mounts are read-only is decided by the helper jobs (BackupAgent.Core.Helpers.HelperJob).
/// </summary>
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

    /// <summary>
    /// The helper's <see cref="HelperSpec.WorkFile"/> as it left it, from its start (after <see cref="WaitAsync"/>).
    /// The caller owns the stream; it stays readable after the helper is disposed.
    /// </summary>
    Stream TakeWorkFile();
}

public sealed record HelperExit(long ExitCode, string Stderr);

/// <summary>A command run in a container did not finish in time.</summary>
public sealed class ExecTimeoutException(TimeSpan timeout) : Exception($"no exit within {timeout.TotalSeconds:0} s");

/// <summary>The exit code of a command run in a container, and its output (stdout and stderr, interleaved).</summary>
public sealed record ExecResult(long ExitCode, string Output);
