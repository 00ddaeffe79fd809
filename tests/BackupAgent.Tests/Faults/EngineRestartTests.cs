using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// The Docker engine restarted during a backup (the second engine, which install/test starts and this test restarts
/// again on its data) while a helper streams: the job fails cleanly, the next one succeeds, starts what the first had
/// stopped, and loses nothing. The agent is paused (SIGSTOP) across the restart so that the fault lands mid-stream.
/// Alone: the migration tests use that engine too.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class EngineRestartTests : IAsyncLifetime
{
    private readonly string _engine = DockerCli.SecondEngine;
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_during_an_engine_restart_fails_cleanly_and_the_next_one_restarts_the_app_and_succeeds()
    {
        var (volume, app) = await _scope.CreateAppOnAsync(_engine, "engine-restart", "head -c 200000000 /dev/urandom > /d/big; echo small > /d/small");
        var before = await VolumeSnapshot.TakeAsync(volume, _engine);
        var state = Path.Combine(_scope.Directory, "state");
        string[] backup = ["backup", "--docker-host", _engine, "--to", _scope.Backups, "--volume", volume, "--stop", "--compression", "none", "--state-dir", state];
        await Agent.SucceedAsync(backup);
        var baseline = Directory.GetDirectories(_scope.Backups).Single();

        (int ExitCode, string Stderr) failed;
        await using (var agent = AgentProcess.Start(backup))
        {
            await agent.WaitForLogAsync($"Reading Volume {volume}");
            await Poll.ArchiveGrowsAsync(_scope.Backups, baseline);

            // Pin the fault mid-stream: the agent is paused while the engine restarts, so the helper cannot finish first.
            await RestartEngineWhilePausedAsync(agent);

            failed = await agent.WaitAsync();
        }

        var left = string.Join("\n", Directory.EnumerateFileSystemEntries(_scope.Backups, "*", SearchOption.AllDirectories));
        Assert.True(failed.ExitCode == 1, $"exit {failed.ExitCode}: {failed.Stderr}");
        Assert.Contains("backup-agent: backup failed:", failed.Stderr);
        Assert.True(failed.Stderr.Contains("it was killed: by the engine stopping or restarting") || failed.Stderr.Contains($"cannot reach the Docker engine at {_engine}"), failed.Stderr);
        Assert.True(Directory.GetDirectories(_scope.Backups).SequenceEqual([baseline]), $"{left}\n{failed.Stderr}");
        Assert.Single((await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var next = await Agent.RunAsync(backup);
        var recovered = next.ExitCode == 0 && (await DockerCli.RunOnAsync(_engine, "inspect", "-f", "{{.State.Running}}", app)).Trim() == "true";
        Assert.Equal("", (await DockerCli.RunOnAsync(_engine, "ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", "volume=" + volume)).Trim());
        long lost = 0;
        foreach (var set in Directory.GetDirectories(_scope.Backups).Select(Path.GetFileName))
        {
            var copy = _scope.Name($"restart-check-{set![^6..]}");
            _scope.TrackOn(_engine, "volume", copy);
            var restore = await Agent.RunAsync("restore", "--docker-host", _engine, "--from", _scope.Backups, "--backup", set, "--volume", $"{volume}={copy}", "--no-stop");
            lost += VolumeSnapshot.BytesLost(before, restore.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(copy, _engine) : null);
        }

        FaultLedger.Settle("the Docker engine restarted during a backup", 1, recovered, lost);
    }

    [Fact]
    public async Task A_forced_restore_during_an_engine_restart_leaves_the_old_contents_and_the_next_restore_succeeds()
    {
        var (volume, _) = await _scope.CreateAppOnAsync(_engine, "restart-src", "head -c 200000000 /dev/urandom > /d/big; echo small > /d/small");
        var before = await VolumeSnapshot.TakeAsync(volume, _engine);
        var state = Path.Combine(_scope.Directory, "state");
        await Agent.SucceedAsync("backup", "--docker-host", _engine, "--to", _scope.Backups, "--volume", volume, "--compression", "none", "--state-dir", state);
        var (target, user) = await _scope.CreateAppOnAsync(_engine, "restart-old", "echo old > /d/old; mkdir /d/dir; chown 9:9 /d/dir; chmod 0750 /d");
        await DockerCli.RunOnAsync(_engine, "stop", user);
        var old = await VolumeSnapshot.TakeAsync(target, _engine);
        string[] restore = ["restore", "--docker-host", _engine, "--from", _scope.Backups, "--volume", $"{volume}={target}", "--force", "--state-dir", state];

        (int ExitCode, string Stderr) failed;
        await using (var agent = AgentProcess.Start([.. restore, "--verbose"]))
        {
            await agent.WaitForLogAsync($"for restore of {volume} into {target}; its input comes through");
            await agent.WhenWrittenAsync(8 << 20, "the restore never fed its helper");
            await RestartEngineWhilePausedAsync(agent);

            failed = await agent.WaitAsync();
        }

        Assert.True(failed.ExitCode == 1, $"exit {failed.ExitCode}: {failed.Stderr}");
        Assert.Contains("backup-agent: restore failed:", failed.Stderr);
        var recover = await Agent.RunAsync("recover", "--docker-host", _engine, "--state-dir", state);
        Assert.True(recover.ExitCode == 0, recover.ToString());
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target, _engine));

        var next = await Agent.RunAsync(restore);
        var lost = VolumeSnapshot.BytesLost(before, next.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(target, _engine) : null);
        FaultLedger.Settle("the Docker engine restarted during a forced restore", 1, next.ExitCode == 0, lost);
    }

    /// <summary>Restarts the second engine while <paramref name="agent"/> is paused (SIGSTOP), so that the fault lands where it stands.</summary>
    private static async Task RestartEngineWhilePausedAsync(AgentProcess agent)
    {
        await HostCommand.RunAsync("kill", "-STOP", $"{agent.Pid}");
        try
        {
            await DockerCli.RestartSecondEngineAsync();
        }
        finally
        {
            await HostCommand.RunAsync("kill", "-CONT", $"{agent.Pid}");
        }
    }
}
