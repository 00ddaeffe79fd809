using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>kind: migrate, a standing copy of volumes on a second engine, refreshed at every run.</summary>
public sealed class MigrateJobTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Every_run_of_a_migrate_job_makes_the_copy_on_the_second_engine_equal_to_the_source()
    {
        var target = DockerCli.SecondEngine;
        var volume = await _scope.CreateVolumeAsync("standing");
        _scope.TrackOn(target, "volume", volume);
        await TestScope.ShellInVolumeAsync(volume, "echo one > /d/a; echo gone > /d/old");
        var job = _scope.Name("copy");
        var state = Path.Combine(_scope.Directory, "state");
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {state}
            jobs:
              - name: {job}
                kind: migrate
                cron: "0 0 4 * * ?"
                targetEngine: {target}
                sources: {"{"} volumes: [{volume}] {"}"}
            """);

        var dry = await Agent.SucceedAsync("run", "--config", config, "--once", job, "--dry-run", "--state-dir", state);
        Assert.Contains($"copy volume {volume} to {volume} on {target} (created)", dry.Stdout);

        await Agent.SucceedAsync("run", "--config", config, "--once", job, "--state-dir", state);
        await TestScope.ShellInVolumeAsync(volume, "echo two > /d/a; rm /d/old; echo new > /d/new");
        await Agent.SucceedAsync("run", "--config", config, "--once", job, "--state-dir", state);

        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(volume), await VolumeSnapshot.TakeAsync(volume, target));
        Assert.Equal(RunOutcome.Succeeded, new RunHistory(state).Last(job)!.Outcome);
    }
}
