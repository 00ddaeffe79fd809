using BackupAgent.Core.Engine;

namespace BackupAgent.Tests.Support;

/// <summary>
/// An engine in memory, for unit tests of stopping and starting: containers (by ID and name) that stop, taking
/// <see cref="StopTakes"/> as a real shutdown does, or fail to, and start, or fail to; hooks that exit with the
/// code given for their command; volumes that exist by name, created and removed; and helpers that run as
/// <see cref="RunHelper"/> says, for unit tests of the helper jobs, or (unset) the restore's stage and swap jobs,
/// run on the volumes' contents in <see cref="Disk"/>. Everything else is not supported.
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

    /// <summary>The volumes' contents, which the stage and swap helpers change as their scripts change the disk.</summary>
    public FakeDisk Disk { get; } = new();

    /// <summary>What a helper writes to its stdout and how it exits, by its spec; unset, only <see cref="Disk"/>'s jobs run.</summary>
    public Func<HelperSpec, HelperRun>? RunHelper { get; init; }

    /// <summary>The helpers started, in order.</summary>
    public List<HelperSpec> Helpers { get; } = [];

    /// <summary>A volume that exists, holding <paramref name="files"/> (path, text).</summary>
    public void AddVolume(string name, params (string Path, string Text)[] files)
    {
        Volumes.Add(name);
        Disk.Write(name, files);
    }

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

    public Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        AddVolume(volume.Name);
        return Task.CompletedTask;
    }

    public Task<string> CreateScratchVolumeAsync(string purpose, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken)
    {
        Volumes.Remove(name);
        Disk.Remove(name);
        return Task.CompletedTask;
    }

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<Stream> SaveImageAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task LoadImageAsync(Stream images, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ContainerDefinition> GetDefinitionAsync(string container, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CreateContainerAsync(ContainerDefinition definition, CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>Starts a helper, which creates the volumes it mounts (as an engine does) and runs once it is fed.</summary>
    public Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Func<byte[], HelperRun> run = RunHelper?.Invoke(spec) is { } decided ? _ => decided
            : FakeDisk.Runs(spec) ? input => Disk.Run(spec, input) : throw new NotSupportedException($"a helper for {spec.Purpose}");
        Volumes.UnionWith(spec.Mounts.Where(m => !m.IsHostPath).Select(m => m.Source));
        Helpers.Add(spec);
        return Task.FromResult<IHelper>(new FakeHelper(run));
    }

    /// <summary>Like a remote engine: helpers get no work files (a job moves them through a scratch volume instead).</summary>
    public Task<bool> CanShareFilesAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>How a fake helper runs: its whole stdout, then its exit.</summary>
    public sealed record HelperRun(byte[] Output, long ExitCode, string Stderr);

    /// <summary>A helper as a function over its input: it runs on what it was fed once its output or exit is asked for.</summary>
    private sealed class FakeHelper(Func<byte[], HelperRun> run) : IHelper
    {
        private readonly MemoryStream _input = new();
        private HelperRun? _ran;
        private MemoryStream? _output;

        public Stream StandardOutput => _output ??= new MemoryStream(Ran.Output, writable: false);

        private HelperRun Ran => _ran ??= run(_input.ToArray());

        public Task FeedInputAsync(Stream source, CancellationToken cancellationToken) => source.CopyToAsync(_input, cancellationToken);

        public Task<HelperExit> WaitAsync(CancellationToken cancellationToken) => Task.FromResult(new HelperExit(Ran.ExitCode, Ran.Stderr));

        public Stream TakeWorkFile() => throw new NotSupportedException("fake helpers get no work files");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
