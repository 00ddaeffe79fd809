namespace BackupAgent.Tests.Support;

/// <summary>
/// install/docker/compose.yaml brought up as a project of its own (unique name), with the test's changes in an
/// override file (its configuration, its host directory, the image under test, the test's label), and brought down
/// with its network and state volume when disposed.
/// </summary>
internal sealed class ComposeProject : IAsyncDisposable
{
    private readonly string[] _files;
    private readonly Dictionary<string, string?> _environment;

    private ComposeProject(string project, string[] files, Dictionary<string, string?> environment)
    {
        Project = project;
        _files = files;
        _environment = environment;
    }

    public string Project { get; }

    /// <summary>The ID of the agent's container.</summary>
    public string Container { get; private set; } = "";

    public string StateVolume => $"{Project}_backup-agent-state";

    /// <summary>The host port (on 127.0.0.1) that compose.yaml publishes the agent's metrics listener on: a free one.</summary>
    public int MetricsPort { get; } = FreePort();

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        socket.Start();
        return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>Brings the project up (no build: the image is given in <paramref name="overrides"/>), with DOCKER_GID set to <paramref name="socketGroup"/>.</summary>
    public static async Task<ComposeProject> UpAsync(TestScope scope, string socketGroup, string overrides)
    {
        var file = Path.Combine(scope.Directory, "compose.override.yaml");
        await File.WriteAllTextAsync(file, overrides + "\n");
        var project = new ComposeProject(scope.Name("compose").Replace("-", ""), ["-f", Path.Combine(Repository.Root, "install", "docker", "compose.yaml"), "-f", file],
            new Dictionary<string, string?> { ["DOCKER_GID"] = socketGroup });
        project._environment["BACKUP_AGENT_METRICS_PORT"] = $"{project.MetricsPort}";
        scope.TrackOn(null, "volume", project.StateVolume);
        scope.TrackOn(null, "network", $"{project.Project}_default");
        var up = await project.ComposeAsync("up", "-d", "--no-build");
        Assert.True(up.ExitCode == 0, $"docker-compose up: {up.Output}");
        project.Container = (await project.ComposeAsync("ps", "-q", "backup-agent")).Output.Trim();
        Assert.Matches("^[0-9a-f]{64}$", project.Container);
        scope.TrackOn(null, "container", project.Container);
        return project;
    }

    public async ValueTask DisposeAsync() => await ComposeAsync("down", "--volumes", "--remove-orphans", "--timeout", "30");

    private Task<(int ExitCode, string Output)> ComposeAsync(params string[] args) =>
        RunAsync("docker-compose", _environment, ["-p", Project, .. _files, .. args]);

    /// <summary>A command's exit code and its stdout and stderr together; a missing command fails the test naming it.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string command, Dictionary<string, string?>? environment, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{command} cannot be run ({e.Message}): install/test installs what the tests need", e);
        }

        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
