using BackupAgent.Tests.Scheduling;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// The container install, end to end: the offline image (install/agent-image) runs as its own non-root user with the
/// Docker socket's group, the socket mounted, its state on a host directory and its configuration mounted read-only,
/// as install/docker/compose.yaml runs it. Its scheduler backs a volume up into a host directory, a restore runs in
/// it (docker exec), and both move their data through FIFOs that the agent makes in its run directory (under its
/// state) and hands to the engine at that directory's path on the host, found from its own container's mounts.
/// Without such a mount the agent says so once and uses the attach stream.
/// </summary>
public sealed class ContainerInstallTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _image = "";
    private string _socketGroup = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _image = await AgentImage.EnsureAsync();
        _socketGroup = (await HostCommand.RunAsync("stat", "-c", "%g", "/var/run/docker.sock")).Trim();
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    /// <summary>A host directory the agent's user owns (0700), as an operator prepares one.</summary>
    private async Task<string> AgentDirectoryAsync(string name)
    {
        var path = Directory.CreateDirectory(Path.Combine(_scope.Directory, name)).FullName;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await HostCommand.RunAsync("chown", $"{AgentImage.Uid}:{AgentImage.Uid}", path);
        return path;
    }

    private string[] AgentRunArgs(string name) =>
    [
        "--name", name, "--label", $"{TestScope.TestLabel}={_scope.Id}", "--network", "none",
        "--user", $"{AgentImage.Uid}:{AgentImage.Uid}", "--group-add", _socketGroup,
        "-v", "/var/run/docker.sock:/var/run/docker.sock",
    ];

    [Fact]
    public async Task The_compose_install_backs_up_on_schedule_into_a_host_directory_and_restores_through_fifos_as_a_non_root_user()
    {
        var source = await _scope.CreateVolumeAsync("ctr-src");
        await TestScope.ShellInVolumeAsync(source,
            "head -c 2000000 /dev/urandom > /d/noise; echo secret > /d/private; chown 1000:1000 /d/private; chmod 600 /d/private; "
            + "mkdir -m 2750 /d/shared; echo x > /d/shared/f; chown -R 33:33 /d/shared; ln -s private /d/link; chmod 4755 /d/noise");
        var before = await VolumeSnapshot.TakeAsync(source);
        var backups = await AgentDirectoryAsync("backups");
        // One scheduled run a minute, the first a few seconds after the agent starts: the test is done with it long before
        // the next, so nothing runs when the container is stopped. A time that came before the agent in its container was
        // up (docker-compose and the engine slow on a loaded machine) is no longer missed for good: the next minute has it.
        var at = DateTimeOffset.UtcNow.AddSeconds(12);
        var config = ConfigFile.Write(Path.Combine(_scope.Directory, "config"), "state: /var/lib/backup-agent\nmetrics: { listen: 0.0.0.0:9464 }\n"
            + ConfigFile.Jobs(ConfigFile.Job("once", $"{at:ss} * * * * ?", "/srv/backup-agent/backups", source)));
        await using var compose = await ComposeProject.UpAsync(_scope, _socketGroup, $$"""
            services:
              backup-agent:
                image: {{_image}}
                labels: { {{TestScope.TestLabel}}: "{{_scope.Id}}" }
                volumes:
                  - {{config}}:/etc/backup-agent/agent.yaml:ro
                  - {{backups}}:/srv/backup-agent/backups
                environment:
                  BACKUP_AGENT__Logging__Console: human
                healthcheck: { interval: 2s, start_period: 0s }
            """);
        var agent = compose.Container;
        Assert.Equal($"{compose.Project}_default", (await DockerCli.RunAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", agent)).Trim());
        Assert.Equal($"{AgentImage.Uid}", (await DockerCli.RunAsync("exec", agent, "id", "-u")).Trim());
        Assert.Contains(_socketGroup, (await DockerCli.RunAsync("exec", agent, "id", "-G")).Split(' ', StringSplitOptions.TrimEntries));

        await Poll.UntilAsync(async () => (await DockerCli.RunAsync("inspect", "-f", "{{.State.Health.Status}}", agent)).Trim() == "healthy",
            "the agent's container did not become healthy (its HEALTHCHECK, /readyz) within 60 s");
        using (var http = new HttpClient())
        {
            var ready = await http.GetAsync($"http://127.0.0.1:{compose.MetricsPort}/readyz");
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"ready\": true", await ready.Content.ReadAsStringAsync());
        }
        await Poll.UntilAsync(() => Task.FromResult(Directory.EnumerateFiles(backups, "manifest.json", SearchOption.AllDirectories).Any()),
            "the agent's container wrote no backup set within 120 s", seconds: 120);
        var set = Path.GetDirectoryName(Directory.EnumerateFiles(backups, "manifest.json", SearchOption.AllDirectories).Single())!;
        Assert.All(Directory.EnumerateFiles(set), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal($"{AgentImage.Uid}", (await HostCommand.RunAsync("stat", "-c", "%u", Path.Combine(set, "manifest.json"))).Trim());
        var target = _scope.Track(_scope.Name("ctr-restored"));
        var restore = await DockerAsync("exec", agent, "backup-agent", "restore", "--from", "/srv/backup-agent/backups",
            "--backup", Path.GetFileName(set), "--volume", $"{source}={target}", "--verbose");
        Assert.True(restore.ExitCode == 0, restore.Output);
        Assert.Contains("its input comes through a FIFO", restore.Output);
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));

        await DockerCli.RunAsync("stop", agent);
        Assert.Equal("0", (await DockerCli.RunAsync("inspect", "-f", "{{.State.ExitCode}}", agent)).Trim());
        var logs = (await DockerAsync("logs", agent)).Output;
        var state = (await DockerCli.RunAsync("volume", "inspect", "-f", "{{.Mountpoint}}", compose.StateVolume)).Trim();
        Assert.Contains("Job once starts (schedule)", logs);
        Assert.Contains("its output comes through a FIFO", logs);
        Assert.Contains($"reach the agent's FIFOs through its container's mount of {state} at /var/lib/backup-agent", logs);
        Assert.DoesNotContain("attach stream", logs);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(state, "run")));
        Assert.Empty((await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", $"volume={source}")).Trim());
    }

    [Fact]
    public async Task An_agent_container_whose_run_directory_is_no_host_mount_says_so_once_and_uses_the_attach_stream()
    {
        var source = await _scope.CreateVolumeAsync("ctr-attach");
        var other = await _scope.CreateVolumeAsync("ctr-attach2");
        await TestScope.ShellInVolumeAsync(source, "head -c 300000 /dev/urandom > /d/a; mkdir /d/b; echo b > /d/b/f; chown -R 7:7 /d/b");
        await TestScope.ShellInVolumeAsync(other, "echo other > /d/o");
        var backups = await AgentDirectoryAsync("backups");
        var agent = _scope.Name("agent-attach");
        _scope.TrackOn(null, "container", agent);

        var output = await RunToEndAsync([.. AgentRunArgs(agent), "-e", "BACKUP_AGENT_RUN_DIR=/tmp/run", "-v", $"{backups}:/backups", _image,
            "backup", "--to", "/backups", "--volume", source, "--volume", other, "--state-dir", "/tmp/state", "--verbose"]);
        Assert.True(output.ExitCode == 0, output.Logs);
        var warning = $"get and give their data through the attach stream, not the faster FIFO: the agent runs in container ";
        Assert.Equal(1, Count(output.Logs, warning));
        Assert.Contains("where its run directory /tmp/run is not a mount from the host", output.Logs);
        Assert.Equal(2, Count(output.Logs, "its output comes through the attach stream"));
        Assert.Single(Directory.EnumerateFiles(backups, "manifest.json", SearchOption.AllDirectories));
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    /// <summary>Runs the agent's container to its end (it is removed by the scope) and gives its exit code and its log.</summary>
    private static async Task<(int ExitCode, string Logs)> RunToEndAsync(string[] runArgs)
    {
        var name = runArgs[Array.IndexOf(runArgs, "--name") + 1];
        await DockerCli.RunAsync(["create", .. runArgs]);
        await DockerCli.RunAsync("start", name);
        var code = int.Parse((await DockerCli.RunAsync("wait", name)).Trim());
        return (code, (await DockerAsync("logs", name)).Output);
    }

    /// <summary>A docker command's exit code and its stdout and stderr together (a container's log is on both).</summary>
    private static Task<(int ExitCode, string Output)> DockerAsync(params string[] args) => ComposeProject.RunAsync("docker", null, args);
}
