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

        // A slow backup: its pre-backup hook takes 5 s, under the lock, before the app is stopped and the volume read.
        var app = await _scope.RunContainerAsync("locked-app", ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=sleep 5"], "while true; do sleep 1; done");
        await using var backup = AgentProcess.Start("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--json", "--state-dir", state);
        await backup.WaitForLogAsync("Running the pre-backup hook");

        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", v1, "--volume", volume, "--force", "--state-dir", state);
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
