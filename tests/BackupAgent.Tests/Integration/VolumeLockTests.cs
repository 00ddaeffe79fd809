using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Runs in different processes keep off one volume: the locks are taken by the operations themselves.</summary>
public sealed class VolumeLockTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_restore_into_a_volume_that_a_backup_in_another_process_is_reading_waits_for_it_and_then_succeeds()
    {
        var volume = await _scope.CreateVolumeAsync("locked");
        var state = Path.Combine(_scope.Directory, "state");
        await TestScope.ShellInVolumeAsync(volume, "echo v1 > /d/data");
        var v1 = JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--json", "--state-dir", state)).Stdout)
            .RootElement.GetProperty("id").GetString()!;
        await TestScope.ShellInVolumeAsync(volume, "echo v2 > /d/data");

        // A backup that holds the lock until the test lets it go: its pre-backup hook, under the lock, before the app is
        // stopped and the volume read, waits for a file that the test makes in the app's own file system (not the volume)
        // once the restore says it waits. No fixed sleep that a slow machine could outlast before the restore comes.
        var app = await _scope.RunContainerAsync("locked-app", ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=until [ -e /tmp/go ]; do sleep 0.1; done"],
            "while true; do sleep 1; done");
        await using var backup = AgentProcess.Start("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--json", "--state-dir", state);
        await backup.WaitForLogAsync("Running the pre-backup hook");

        var restoring = Agent.Start(null, CancellationToken.None, "restore", "--from", _scope.Backups, "--backup", v1, "--volume", volume, "--force", "--state-dir", state);
        await Poll.UntilAsync(() => Task.FromResult(restoring.Result.IsCompleted || restoring.StderrSoFar.Contains($"Waiting for volume {volume}", StringComparison.Ordinal)),
            "the restore neither waited for the volume nor ended");
        await DockerCli.RunAsync("exec", app, "touch", "/tmp/go");
        var restore = await restoring.Result;
        var (code, stderr) = await backup.WaitAsync();

        Assert.True(code == 0, stderr);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"Waiting for volume {volume}: another run is working on it", restore.Stderr);
        Assert.Contains($"Volume {volume} is free now", restore.Stderr);
        Assert.Equal("v1\n", await TestScope.ShellInVolumeAsync(volume, "cat /d/data"));
        Assert.True(await TestScope.IsRunningAsync(app));

        // The backup read the volume whole, before the restore touched it.
        var v2 = JsonDocument.Parse(await backup.StdoutAsync()).RootElement.GetProperty("id").GetString()!;
        var copy = _scope.Track(_scope.Name("locked-copy"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--backup", v2, "--volume", $"{volume}={copy}", "--state-dir", state);
        Assert.Equal("v2\n", await TestScope.ShellInVolumeAsync(copy, "cat /d/data"));
    }
}
