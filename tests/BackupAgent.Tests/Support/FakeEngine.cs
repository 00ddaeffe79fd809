using BackupAgent.Core.Engine;

namespace BackupAgent.Tests.Support;

/// <summary>
/// An engine in memory, for unit tests of stopping and starting: containers (by ID and name) that stop, taking
/// <see cref="StopTakes"/> as a real shutdown does, and start, or fail to. Everything else is not supported.
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

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ContainerInfo ByName(string name) => _containers.Values.Single(c => c.Name == name);

    public Task PrepareAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<VolumeInfo?> FindVolumeAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string> CreateScratchVolumeAsync(string purpose, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ExecResult> ExecAsync(string container, IReadOnlyList<string> command, string? user, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<Stream> SaveImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task LoadImageAsync(Stream images, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ContainerDefinition> GetDefinitionAsync(string container, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CreateContainerAsync(ContainerDefinition definition, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();
}
