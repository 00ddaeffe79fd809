using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// An agent killed while it had a container stopped (<c>backup --stop</c>), and then the container removed, recreated
/// under its name (as <c>docker compose up</c> does: a new ID), or the engine restarted. Promised: the next backup of
/// another volume and <c>recover</c> both succeed and say what became of the container; nothing wedges the host.
/// </summary>
public sealed class StaleJournalTests : IAsyncLifetime
{
    private StaleJournal _journal = null!;

    public async Task InitializeAsync() => _journal = new StaleJournal(await TestScope.CreateAsync(), null);

    public async Task DisposeAsync() => await _journal.Scope.DisposeAsync();

    public static TheoryData<string> KillPoints => StaleJournal.KillPoints;

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task A_container_removed_after_the_agent_was_killed_is_dropped_and_fails_no_later_run(string point)
    {
        var (volume, app) = await _journal.KillBackupAsync(point);
        await DockerCli.RunAsync("rm", "-f", app);

        var next = await _journal.BackUpAnotherVolumeAsync();
        Assert.Contains($"Dropping container {app} from the stop journal: it no longer exists", next.Stderr);
        Assert.Contains("nothing to recover", await _journal.RecoverAsync());
    }

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task A_container_recreated_under_its_name_is_left_as_it_is_and_fails_no_later_run(string point)
    {
        var (volume, app) = await _journal.KillBackupAsync(point);
        await DockerCli.RunAsync("rm", "-f", app);
        var successor = await _journal.Scope.CreateContainerAsync($"stale-{point}-app", "-v", $"{volume}:/d");
        Assert.Equal(app, successor);

        var next = await _journal.BackUpAnotherVolumeAsync();
        Assert.Contains($"Leaving container {app} as it is: it was recreated", next.Stderr);
        Assert.Contains("nothing to recover", await _journal.RecoverAsync());
        Assert.False(await TestScope.IsRunningAsync(app));
    }
}

/// <summary>The same on the second engine, restarted after the kill. Alone: other tests use that engine.</summary>
[Collection(AloneCollection.Name)]
public sealed class StaleJournalEngineRestartTests : IAsyncLifetime
{
    private StaleJournal _journal = null!;

    public async Task InitializeAsync() => _journal = new StaleJournal(await TestScope.CreateAsync(), DockerCli.SecondEngine);

    public async Task DisposeAsync() => await _journal.Scope.DisposeAsync();

    public static TheoryData<string> KillPoints => StaleJournal.KillPoints;

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task A_container_left_stopped_across_an_engine_restart_is_started_by_the_next_run(string point)
    {
        var (_, app) = await _journal.KillBackupAsync(point);
        await DockerCli.RestartSecondEngineAsync();

        var next = await _journal.BackUpAnotherVolumeAsync();
        Assert.Contains($"Starting container {app}, left stopped by run", next.Stderr);
        Assert.Equal("true", (await DockerCli.RunOnAsync(DockerCli.SecondEngine, "inspect", "-f", "{{.State.Running}}", app)).Trim());
        Assert.Contains("nothing to recover", await _journal.RecoverAsync());
    }
}

/// <summary>One state directory and one engine (<paramref name="host"/>; null: the default one) of a scenario.</summary>
internal sealed class StaleJournal(TestScope scope, string? host)
{
    /// <summary>While the container is stopped (its stop logged and done), and while its volume is read.</summary>
    public static TheoryData<string> KillPoints => ["stopped", "reading"];

    public TestScope Scope => scope;

    private string State => Path.Combine(scope.Directory, "state");

    private string[] Host => host is null ? [] : ["--docker-host", host];

    /// <summary>An app with a volume of data; a <c>backup --stop</c> of it killed (SIGKILL) at <paramref name="point"/>, the app left stopped.</summary>
    public async Task<(string Volume, string App)> KillBackupAsync(string point)
    {
        var (volume, app) = await AppAsync($"stale-{point}");
        await using (var agent = AgentProcess.Start(["backup", .. Host, "--to", scope.Backups, "--volume", volume, "--stop", "--compression", "none", "--state-dir", State]))
        {
            if (point == "stopped")
            {
                await agent.WaitForLogAsync($"Stopping container {app}");
                await Poll.UntilAsync(async () => !await IsRunningAsync(app), "the app never stopped");
            }
            else
            {
                await agent.WaitForLogAsync($"Reading Volume {volume}");
            }

            agent.Kill();
            Assert.Equal(137, (await agent.WaitAsync()).ExitCode);
        }

        Assert.False(await IsRunningAsync(app));
        return (volume, app);
    }

    /// <summary>A backup of another volume on the same engine, with the same state directory: it must succeed.</summary>
    public async Task<AgentResult> BackUpAnotherVolumeAsync()
    {
        var other = scope.Name("stale-other");
        scope.TrackOn(host, "volume", other);
        await DockerCli.RunOnAsync(host, "volume", "create", "--label", $"{TestScope.TestLabel}={scope.Id}", other);
        var next = await Agent.RunAsync(["backup", .. Host, "--to", scope.Backups, "--volume", other, "--state-dir", State]);
        Assert.True(next.ExitCode == 0, next.ToString());
        return next;
    }

    /// <summary>`recover`, which must succeed; its report.</summary>
    public async Task<string> RecoverAsync() => (await Agent.SucceedAsync(["recover", .. Host, "--state-dir", State])).Stdout;

    private async Task<(string Volume, string App)> AppAsync(string stem)
    {
        const string Data = "head -c 64000000 /dev/urandom > /d/big";
        if (host is not null)
        {
            return await scope.CreateAppOnAsync(host, stem, Data);
        }

        var volume = await scope.CreateVolumeAsync(stem);
        await TestScope.ShellInVolumeAsync(volume, Data);
        return (volume, await scope.RunContainerAsync($"{stem}-app", ["-v", $"{volume}:/d"], "while true; do sleep 1; done"));
    }

    private async Task<bool> IsRunningAsync(string container) =>
        (await DockerCli.RunOnAsync(host, "inspect", "-f", "{{.State.Running}}", container)).Trim() == "true";
}
