using BackupAgent.Core.Engine;

namespace BackupAgent.Tests.Support;

/// <summary>
/// An engine in memory, for unit tests of stopping and starting: containers (by ID and name) that stop, taking
/// <see cref="StopTakes"/> as a real shutdown does, or fail to, and start, or fail to; hooks that exit with the
/// code given for their command; volumes that exist by name; and helpers that run as <see cref="RunHelper"/> says,
/// for unit tests of the helper jobs. Everything else is not supported.
/// </summary>
public sealed class FakeEngine : IContainerEngine
{
    private readonly Dictionary<string, ContainerInfo> _containers = [];

    public string Endpoint => "fake:///engine";

    public string HelperImage => "none";

    /// <summary>How long a container takes to stop after it is asked to.</summary>
    public TimeSpan StopTakes { get; init; }

    /// <summary>Names of the containers whose start fails.</summary>
    public HashSet<string> FailToStart { get; } = [];

    /// <summary>Names of the containers that start, then exit at once with code 3, printing "cannot start".</summary>
    public HashSet<string> ExitAfterStart { get; } = [];

    /// <summary>The names of the volumes that exist.</summary>
    public HashSet<string> Volumes { get; } = [];

    /// <summary>What a helper writes to its stdout and how it exits, by its spec; unset, starting one is not supported.</summary>
    public Func<HelperSpec, HelperRun>? RunHelper { get; init; }

    /// <summary>The helpers started, in order.</summary>
    public List<HelperSpec> Helpers { get; } = [];

    public ContainerInfo Add(string name, bool running = true)
    {
        var container = new ContainerInfo(Guid.NewGuid().ToString("N"), name, []) { Running = running };
        _containers[container.Id] = container;
        return container;
    }

    public void Remove(string name) => _containers.Remove(ByName(name).Id);

    public bool IsRunning(string name) => ByName(name).Running;

    public Task<string> GetIdentityAsync(CancellationToken cancellationToken) => Task.FromResult("fake engine");

    public Task<ContainerInfo?> FindContainerAsync(string nameOrId, CancellationToken cancellationToken) =>
        Task.FromResult(_containers.GetValueOrDefault(nameOrId) ?? _containers.Values.FirstOrDefault(c => c.Name == nameOrId));

    public async Task<ContainerInfo> GetContainerAsync(string nameOrId, CancellationToken cancellationToken) =>
        await FindContainerAsync(nameOrId, cancellationToken) ?? throw new InvalidOperationException($"No such container: {nameOrId}");

    public async Task StopContainerAsync(string id, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var container = await GetContainerAsync(id, cancellationToken);
        await Task.Delay(StopTakes, cancellationToken);
        if (FailToStop.Contains(container.Name))
        {
            throw new InvalidOperationException($"container '{container.Name}' did not stop");
        }

        _containers[container.Id] = container with { Running = false };
    }

    public async Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        var container = await GetContainerAsync(id, cancellationToken);
        _containers[container.Id] = FailToStart.Contains(container.Name)
            ? throw new InvalidOperationException($"container '{container.Name}' exited right after it was started")
            : ExitAfterStart.Contains(container.Name) ? container with { Running = false, ExitCode = 3 } : container with { Running = true };
    }

    public Task<string> GetLogTailAsync(string id, int lines, CancellationToken cancellationToken) =>
        Task.FromResult(ExitAfterStart.Contains(_containers[id].Name) ? "cannot start\n" : "");

    public Task<IReadOnlyList<ContainerInfo>> ListContainersAsync(string? labelFilter, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ContainerInfo>>([.. _containers.Values]);

    /// <summary>Names of the containers whose stop fails.</summary>
    public HashSet<string> FailToStop { get; } = [];

    /// <summary>What was run in containers (hooks), in order, as "container: command".</summary>
    public List<string> Execs { get; } = [];

    /// <summary>The exit code of a command run in a container (0 when not named here).</summary>
    public Dictionary<string, long> ExitCodes { get; } = [];

    public Task<ExecResult> ExecAsync(string container, IReadOnlyList<string> command, string? user, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Execs.Add($"{container}: {command[^1]}");
        return Task.FromResult(new ExecResult(ExitCodes.GetValueOrDefault(command[^1]), ""));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ContainerInfo ByName(string name) => _containers.Values.Single(c => c.Name == name);

    public Task PrepareAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<VolumeInfo?> FindVolumeAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Volumes.Contains(name) ? new VolumeInfo(name, "local", new Dictionary<string, string>(), new Dictionary<string, string>()) : null);

    public Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string> CreateScratchVolumeAsync(string purpose, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();


    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<Stream> SaveImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task LoadImageAsync(Stream images, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ContainerDefinition> GetDefinitionAsync(string container, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CreateContainerAsync(ContainerDefinition definition, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken)
    {
        var run = (RunHelper ?? throw new NotSupportedException())(spec);
        Helpers.Add(spec);
        return Task.FromResult<IHelper>(new FakeHelper(run));
    }

    /// <summary>How a fake helper runs: its whole stdout, then its exit.</summary>
    public sealed record HelperRun(byte[] Output, long ExitCode, string Stderr);

    private sealed class FakeHelper(HelperRun run) : IHelper
    {
        public Stream StandardOutput { get; } = new MemoryStream(run.Output, writable: false);

        public Task FeedInputAsync(Stream source, CancellationToken cancellationToken) => source.CopyToAsync(Stream.Null, cancellationToken);

        public Task<HelperExit> WaitAsync(CancellationToken cancellationToken) => Task.FromResult(new HelperExit(run.ExitCode, run.Stderr));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
