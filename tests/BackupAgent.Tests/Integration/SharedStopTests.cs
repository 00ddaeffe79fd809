using System.Text.Json;
using BackupAgent.Core.Consistency;
using BackupAgent.Docker;
using BackupAgent.Tests.Support;
using Serilog;

namespace BackupAgent.Tests.Integration;

public sealed class SharedStopTests : IAsyncLifetime
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Two_runs_that_stop_one_container_start_it_only_when_the_last_of_them_is_done()
    {
        var volume = await _scope.CreateVolumeAsync("shared");
        var app = await _scope.RunContainerAsync("shared-app", ["-v", $"{volume}:/d"], "sleep 1000");
        await using var engine = new DockerEngine("unix:///var/run/docker.sock", DockerCli.HelperImage, Log);
        var stopper = new ContainerStopper(engine, new StopJournal(Path.Combine(_scope.Directory, "stopped"), Log), new VolumeLocks(Path.Combine(_scope.Directory, "locks")), Log);
        var container = await engine.GetContainerAsync(app, CancellationToken.None);

        var first = await stopper.StopAsync("run-a", [container], TimeSpan.FromSeconds(2), CancellationToken.None);
        var second = await stopper.StopAsync("run-b", [await engine.GetContainerAsync(app, CancellationToken.None)], TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.False(await TestScope.IsRunningAsync(app));

        await first.RestartAsync(CancellationToken.None);
        Assert.False(await TestScope.IsRunningAsync(app));
        await second.RestartAsync(CancellationToken.None);
        Assert.True(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task Restore_stops_the_running_containers_that_use_the_target_and_starts_them_again()
    {
        var volume = await _scope.CreateVolumeAsync("restore-target");
        await TestScope.ShellInVolumeAsync(volume, "echo v1 > /d/data");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
        var app = await _scope.RunContainerAsync("restore-app", ["-v", $"{volume}:/d"], "while true; do echo x >> /d/noise; sleep 0.05; done");

        var result = await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--force", "--state-dir", Path.Combine(_scope.Directory, "state"), "--json");
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(app, json.RootElement.GetProperty("downtimes")[0].GetProperty("container").GetString());
        Assert.True(await TestScope.IsRunningAsync(app));
        Assert.Equal("v1", (await TestScope.ShellInVolumeAsync(volume, "cat /d/data")).Trim());
    }
}
