using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.Models;
using Serilog;
using VolumeInfo = BackupAgent.Core.Engine.VolumeInfo;
using Version = System.Version;

namespace BackupAgent.Docker;

/// <summary>The engine in the agent's own terms, over Docker.DotNet (with its helpers, the only code in the agent that talks to it).</summary>
public sealed partial class DockerEngine : IContainerEngine
{
    private readonly Uri _uri;
    private readonly IAuthProvider? _tls;
    private readonly SemaphoreSlim _negotiating = new(1, 1);
    private DockerClient? _client;
    private readonly string _helperImage;
    private readonly ILogger _log;
    private readonly HelperOutput _output;
    private readonly string? _runRoot;
    private string? _identity;
    private Task<FifoPlacement?>? _placement;

    /// <summary>The endpoints whose fallback from the FIFO to the attach stream was logged: once per process.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> FallbackLogged = new();

    /// <summary>
    /// Connects to the engine at <paramref name="endpoint"/>. <paramref name="outputSetting"/> ("attach" or "auto") and
    /// <paramref name="runDirectory"/> are BACKUP_AGENT_HELPER_OUTPUT and BACKUP_AGENT_RUN_DIR; see <see cref="HelperOutputChoice"/>.
    /// A bad endpoint is named as <paramref name="endpointSetting"/>.
    /// </summary>
    public DockerEngine(string endpoint, string helperImage, ILogger log, string? outputSetting = null, string? runDirectory = null, string? tlsCertPath = null, Setting endpointSetting = Setting.Engine)
    {
        Endpoint = endpoint;
        _helperImage = helperImage;
        _log = log;
        Uri uri;
        try
        {
            uri = new Uri(endpoint);
        }
        catch (UriFormatException)
        {
            throw new BadInputException(new Phrase($"{endpointSetting} '{endpoint}' is not a URI like unix:///var/run/docker.sock or tcp://HOST:2375"));
        }

        _uri = uri;
        _tls = tlsCertPath is null ? null : EngineTls.Credentials(tlsCertPath);
        _output = HelperOutputChoice.Choose(uri, outputSetting, File.Exists);
        _runRoot = HelperOutputChoice.RunRoot(runDirectory);
    }

    public string Endpoint { get; }

    public string HelperImage => _helperImage;

    /// <summary>The Engine API version every request carries, once negotiated (<see cref="EngineApiVersion"/>); null before the first request.</summary>
    public Version? ApiVersion { get; private set; }

    /// <summary>How long a helper may run before it is killed and its operation fails; null: no limit.</summary>
    public TimeSpan? HelperTimeout { get; init; }

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await GuardAsync(async ct =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                var client = await ClientAsync(timeout.Token);
                await client.System.PingAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException("no answer within 15 s");
            }

            return true;
        }, cancellationToken);
        await EnsureHelperImageAsync(cancellationToken);
        await CallAsync((client, ct) => HelperLabels.SweepLeftoversAsync(client, _log, ct), cancellationToken);
        if (_output == HelperOutput.Fifo)
        {
            HelperFifo.SweepLeftovers(_runRoot);
        }
    }

    /// <summary>Asked of the engine once per connection: it does not change.</summary>
    public async Task<string> GetIdentityAsync(CancellationToken cancellationToken) => _identity ??= await CallAsync(async (client, ct) =>
    {
        var info = await client.System.GetSystemInfoAsync(ct);
        return $"{info.ID} {info.Name} {info.DockerRootDir}";
    }, cancellationToken);

    public async Task<ContainerInfo> GetContainerAsync(string nameOrId, CancellationToken cancellationToken) =>
        await FindContainerAsync(nameOrId, cancellationToken) ?? throw new BadInputException($"no container named '{nameOrId}' on {Endpoint}");

    public Task<ContainerInfo?> FindContainerAsync(string nameOrId, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        ContainerInspectResponse container;
        try
        {
            container = IsValidName(nameOrId.TrimStart('/'))
                ? await client.Containers.InspectContainerAsync(nameOrId, ct)
                : throw new DockerContainerNotFoundException(HttpStatusCode.NotFound, nameOrId);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }

        return new ContainerInfo(container.ID, container.Name.TrimStart('/'), Mounts(container.Mounts))
        {
            Running = container.State?.Running ?? false,
            Labels = (container.Config?.Labels ?? new Dictionary<string, string>()).AsReadOnly(),
            StopTimeout = container.Config?.StopTimeout,
            ExitCode = container.State is { Running: false } state ? state.ExitCode : null,
        };
    }, cancellationToken);

    public Task<IReadOnlyList<ContainerInfo>> ListContainersAsync(string? labelFilter, CancellationToken cancellationToken) => CallAsync<IReadOnlyList<ContainerInfo>>(async (client, ct) =>
    {
        var parameters = new ContainersListParameters { All = true };
        if (labelFilter is not null)
        {
            parameters.Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [labelFilter] = true } };
        }

        var all = await client.Containers.ListContainersAsync(parameters, ct);
        return all
            .Where(c => c.Labels?.ContainsKey(HelperLabels.Helper) != true)
            .Select(c => new ContainerInfo(c.ID, c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID[..12], Mounts(c.Mounts))
            {
                Running = c.State == "running",
                Labels = (c.Labels ?? new Dictionary<string, string>()).AsReadOnly(),
            })
            .ToList();
    }, cancellationToken);

    public Task StopContainerAsync(string id, TimeSpan? timeout, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        var parameters = new ContainerStopParameters();
        if (timeout is { } t)
        {
            parameters.WaitBeforeKillSeconds = (uint)Math.Ceiling(t.TotalSeconds);
        }

        await client.Containers.StopContainerAsync(id, parameters, ct);
    }, cancellationToken);

    public Task StartContainerAsync(string id, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct);
        var state = await client.Containers.InspectContainerAsync(id, ct);
        if (state.State?.Running != true)
        {
            var log = (await GetLogTailAsync(id, 5, ct)).Trim().ReplaceLineEndings(" | ");
            throw new BackupAgentException(
                $"container '{state.Name.TrimStart('/')}' exited right after it was started (exit code {state.State?.ExitCode}): {state.State?.Error}{(log.Length == 0 ? "" : $" ({log})")}");
        }
    }, cancellationToken);

    public Task<string> GetLogTailAsync(string id, int lines, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        try
        {
            using var logs = await client.Containers.GetContainerLogsAsync(id,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = $"{lines}" }, ct);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
            return stdout + stderr;
        }
        catch (DockerApiException)
        {
            return "";
        }
    }, cancellationToken);

    public Task<ExecResult> ExecAsync(string container, IReadOnlyList<string> command, string? user, TimeSpan timeout, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        var exec = await client.Exec.CreateContainerExecAsync(
            container,
            new ContainerExecCreateParameters { Cmd = command.ToList(), User = user ?? "", AttachStdout = true, AttachStderr = true },
            ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var stream = await client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), limit.Token);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(limit.Token);
            var inspect = await client.Exec.InspectContainerExecAsync(exec.ID, ct);
            return new ExecResult(inspect.ExitCode ?? -1, stdout + stderr);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ExecTimeoutException(timeout);
        }
    }, cancellationToken);

    private static List<MountInfo> Mounts(IEnumerable<MountPoint>? mounts) => (mounts ?? []).Select(m => m.Type switch
    {
        "volume" => new MountInfo(MountKind.Volume, m.Name ?? m.Source, m.Destination, m.Driver),
        "bind" => new MountInfo(MountKind.Bind, m.Source, m.Destination, null),
        _ => new MountInfo(MountKind.Other, m.Source, m.Destination, null),
    }).ToList();

    public Task<VolumeInfo?> FindVolumeAsync(string name, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        if (!IsValidName(name))
        {
            return null;
        }

        try
        {
            var v = await client.Volumes.InspectAsync(name, ct);
            return new VolumeInfo(
                v.Name,
                v.Driver,
                (v.Options ?? new Dictionary<string, string>()).AsReadOnly(),
                (v.Labels ?? new Dictionary<string, string>()).AsReadOnly());
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return (VolumeInfo?)null;
        }
    }, cancellationToken);

    public Task CreateVolumeAsync(VolumeInfo volume, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        _log.Information("Creating volume {Volume} (driver {Driver})", volume.Name, volume.Driver);
        await client.Volumes.CreateAsync(
            new VolumesCreateParameters
            {
                Name = volume.Name,
                Driver = volume.Driver,
                DriverOpts = volume.Options.ToDictionary(),
                Labels = volume.Labels.ToDictionary(),
            },
            ct);
    }, cancellationToken);

    public Task<string> CreateScratchVolumeAsync(string purpose, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        var name = $"{HelperLabels.ScratchPrefix}{Guid.NewGuid():N}"[..32];
        var labels = HelperLabels.For(purpose);
        labels[HelperLabels.Scratch] = "true";
        await client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Driver = "local", Labels = labels }, ct);
        return name;
    }, cancellationToken);

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
    {
        try
        {
            await client.Volumes.RemoveAsync(name, force: true, ct);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }, cancellationToken);

    /// <summary>Starts a helper; on a local engine its output (or, for one that reads stdin, its input) goes through a FIFO (the fast path).</summary>
    public Task<IHelper> StartHelperAsync(HelperSpec spec, CancellationToken cancellationToken) => CallAsync<IHelper>(async (client, ct) =>
    {
        var placement = _output == HelperOutput.Fifo ? await PlacementAsync(client, ct) : null;
        var fifo = placement is null ? null : HelperFifo.Create(_runRoot, forInput: spec.OpenStdin, placement);
        try
        {
            return await DockerHelper.StartAsync(client, _helperImage, spec, fifo, HelperTimeout, _log, ct);
        }
        catch when (fifo is not null)
        {
            await fifo.DisposeAsync();
            throw;
        }
    }, cancellationToken);

    /// <summary>A helper's work file lives beside its FIFO: only where helpers reach the agent's run directory.</summary>
    public Task<bool> CanShareFilesAsync(CancellationToken cancellationToken) => CallAsync(async (client, ct) =>
        _output == HelperOutput.Fifo && await PlacementAsync(client, ct) is not null, cancellationToken);

    /// <summary>Where this engine's helpers find the agent's FIFOs (null: they cannot, and the attach stream serves); found once.</summary>
    private async Task<FifoPlacement?> PlacementAsync(DockerClient client, CancellationToken cancellationToken)
    {
        var placing = _placement ??= PlaceFifosAsync(client);
        try
        {
            return await placing.WaitAsync(cancellationToken);
        }
        catch when (!placing.IsCompletedSuccessfully)
        {
            _placement = null;
            throw;
        }
    }

    private async Task<FifoPlacement?> PlaceFifosAsync(DockerClient client)
    {
        var candidates = FifoPlacement.CandidateContainerIds(ReadOrNull("/proc/self/mountinfo"), ReadOrNull("/proc/self/cgroup"), Environment.MachineName);
        var (placement, why) = await HelperOutputChoice.PlaceFifosAsync(_runRoot, candidates, async (id, ct) =>
        {
            try
            {
                var container = await client.Containers.InspectContainerAsync(id, ct);
                return container.Mounts.Select(m => (m.Type ?? "", m.Source, m.Destination)).ToList();
            }
            catch (DockerContainerNotFoundException)
            {
                return null;
            }
        }, CancellationToken.None);
        if (placement is null)
        {
            if (FallbackLogged.TryAdd(Endpoint, true))
            {
                _log.Warning("Helpers on {Endpoint} get and give their data through the attach stream, not the faster FIFO: {Reason}", Endpoint, why);
            }
        }
        else if (placement.Mount is { } mount)
        {
            _log.Debug("Helpers on {Endpoint} reach the agent's FIFOs through its container's mount of {Mount}", Endpoint, mount);
        }

        return placement;
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _negotiating.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task EnsureHelperImageAsync(CancellationToken cancellationToken)
    {
        var client = await ClientAsync(cancellationToken);
        try
        {
            await client.Images.InspectImageAsync(_helperImage, cancellationToken);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }

        _log.Information("Helper image {Image} is missing; trying to pull it", _helperImage);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var (image, tag) = SplitTag(_helperImage);
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image, Tag = tag }, null, new Progress<JSONMessage>(), timeout.Token);
            await client.Images.InspectImageAsync(_helperImage, cancellationToken);
        }
        catch (Exception e) when (e is DockerApiException or OperationCanceledException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw new HelperImageMissingException(_helperImage, Endpoint, FirstLine(e.Message));
        }
    }

    private static (string Image, string Tag) SplitTag(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>
    /// The client, built once its API version is negotiated (<see cref="EngineApiVersion"/>): an unversioned
    /// <c>GET /version</c> first, then every request at the version both sides speak.
    /// </summary>
    private async Task<DockerClient> ClientAsync(CancellationToken cancellationToken)
    {
        if (_client is { } ready)
        {
            return ready;
        }

        await _negotiating.WaitAsync(cancellationToken);
        try
        {
            if (_client is { } built)
            {
                return built;
            }

            VersionResponse version;
            using (var probe = Build(apiVersion: null))
            {
                version = await probe.System.GetVersionAsync(cancellationToken);
            }

            var negotiated = EngineApiVersion.Negotiate(Endpoint, version.APIVersion, version.MinAPIVersion);
            _log.Debug("Engine {Endpoint} speaks Engine API {Oldest} to {Newest}; the agent uses {Version}",
                Endpoint, version.MinAPIVersion, version.APIVersion, EngineApiVersion.Format(negotiated));
            _client = Build(negotiated);
            ApiVersion = negotiated;
            return _client;
        }
        finally
        {
            _negotiating.Release();
        }
    }

    private DockerClient Build(Version? apiVersion) =>
        new DockerClientBuilder().WithEndpoint(_uri).WithAuthProvider(_tls).WithApiVersion(apiVersion).Build();

    private Task<T> CallAsync<T>(Func<DockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        GuardAsync(async ct => await call(await ClientAsync(ct), ct), cancellationToken);

    private Task CallAsync(Func<DockerClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        GuardAsync(async ct =>
        {
            await call(await ClientAsync(ct), ct);
            return true;
        }, cancellationToken);

    /// <summary>Turns the engine's failures into the agent's: unreachable, or refused (with the engine's own words).</summary>
    private async Task<T> GuardAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new BackupAgentException(
                $"cannot reach the Docker engine at {Endpoint}: {FirstLine(e.Message)} (is dockerd running? install/ensure-engine starts one)", inner: e);
        }
        catch (DockerApiException e)
        {
            throw new BackupAgentException($"the Docker engine at {Endpoint} refused a request: {FirstLine(e.ResponseBody ?? e.Message)}", inner: e);
        }
    }

    private static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or SocketException or TimeoutException ||
        (e is OperationCanceledException && e.InnerException is TimeoutException) ||
        (e is OperationCanceledException or IOException && e.InnerException is not null && IsUnreachable(e.InnerException));

    /// <summary>Docker's rule for container and volume names; IDs (hex) match it too.</summary>
    private static bool IsValidName(string name) => name.Length <= 255 && NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex NamePattern();
}
