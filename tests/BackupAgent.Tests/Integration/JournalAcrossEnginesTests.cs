using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// One state directory, two engines: a container an agent left stopped on the second engine is not the business of a
/// run against the first (which must neither fail nor touch it), and a run against the second starts it.
/// </summary>
public sealed class JournalAcrossEnginesTests : IAsyncLifetime
{
    private readonly string _engine = DockerCli.SecondEngine;
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_container_left_stopped_on_another_engine_is_left_to_a_run_against_that_engine()
    {
        var (volume, app) = await _scope.CreateAppOnAsync(_engine, "journal-remote", "head -c 300000000 /dev/urandom > /d/big");
        var state = Path.Combine(_scope.Directory, "state");

        await using (var agent = AgentProcess.Start("backup", "--docker-host", _engine, "--to", _scope.Backups, "--volume", volume, "--stop", "--compression", "none", "--state-dir", state))
        {
            await agent.WaitForLogAsync($"Reading Volume {volume}");
            agent.Kill();
            Assert.Equal(137, (await agent.WaitAsync()).ExitCode);
        }

        Assert.False(await RunningAsync(app));
        var local = await _scope.CreateVolumeAsync("journal-local");
        var other = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", local, "--state-dir", state);
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Contains($"to a run against {_engine}", other.Stderr);
        Assert.False(await RunningAsync(app));

        var recover = await Agent.RunAsync("recover", "--docker-host", _engine, "--state-dir", state);
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.True(await RunningAsync(app));
    }

    private async Task<bool> RunningAsync(string container) =>
        (await DockerCli.RunOnAsync(_engine, "inspect", "-f", "{{.State.Running}}", container)).Trim() == "true";
}
