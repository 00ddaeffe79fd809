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

    [Fact]
    public async Task A_container_that_cannot_start_again_fails_no_later_run_and_recover_names_it_until_it_starts()
    {
        // Its bind mount's source (--mount does not create one) is removed while the container is stopped: it cannot start.
        var source = Directory.CreateDirectory(Path.Combine(_journal.Scope.Directory, "bind-source")).FullName;
        var (_, app) = await _journal.KillBackupAsync("stopped", ["--mount", $"type=bind,source={source},target=/bound"]);
        Directory.Delete(source);

        var next = await _journal.BackUpAnotherVolumeAsync();
        Assert.Contains($"Container {app} did not start again", next.Stderr);
        var failed = await Agent.RunAsync("recover", "--state-dir", _journal.State);
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Contains($"did not start (the journal keeps them; run recover again once they can): {app} (", failed.Stdout);

        Directory.CreateDirectory(source);
        Assert.Contains($"started again: {app}", await _journal.RecoverAsync());
        Assert.True(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task A_corrupt_journal_entry_is_moved_aside_with_a_warning_and_the_next_backup_and_recover_succeed()
    {
        var entry = Path.Combine(Directory.CreateDirectory(Path.Combine(_journal.State, "stopped")).FullName, "20261201T000000Z-0a1b2c.json");
        await File.WriteAllTextAsync(entry, "{\"runId\": \"20261201T000000Z-0a1b2c\", \"own");

        var next = await _journal.BackUpAnotherVolumeAsync();
        Assert.Contains($"The stop journal entry {entry} is corrupt", next.Stderr);
        Assert.Contains($"moved aside as {entry}.corrupt", next.Stderr);
        Assert.True(File.Exists(entry + ".corrupt"));
        Assert.Contains("nothing to recover", await _journal.RecoverAsync());
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

    public string State => Path.Combine(scope.Directory, "state");

    private string[] Host => host is null ? [] : ["--docker-host", host];

    /// <summary>An app with a volume of data; a <c>backup --stop</c> of it killed (SIGKILL) at <paramref name="point"/>, the app left stopped.</summary>
    public async Task<(string Volume, string App)> KillBackupAsync(string point, string[]? appArgs = null)
    {
        var (volume, app) = await AppAsync($"stale-{point}", appArgs ?? []);
        await using (var agent = AgentProcess.Start(["backup", .. Host, "--to", scope.Backups, "--volume", volume, "--stop", "--compression", "none", "--state-dir", State]))
        {
            if (point == "stopped")
            {
                await agent.WaitForLogAsync($"Stopping container {app}");
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await IsRunningAsync(app))
                {
                    Assert.True(DateTime.UtcNow < deadline, $"the app never stopped; the agent's log:\n{agent.StderrSoFar}");
                    await Task.Delay(10);
                }
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

    private async Task<(string Volume, string App)> AppAsync(string stem, string[] appArgs)
    {
        // Big enough that the read outlasts the kill that follows its first log line (about a second here).
        const string Data = "head -c 320000000 /dev/urandom > /d/big";
        if (host is not null)
        {
            Assert.Empty(appArgs); // CreateAppOnAsync takes none
            return await scope.CreateAppOnAsync(host, stem, Data);
        }

        var volume = await scope.CreateVolumeAsync(stem);
        await TestScope.ShellInVolumeAsync(volume, Data);
        return (volume, await scope.RunContainerAsync($"{stem}-app", ["-v", $"{volume}:/d", .. appArgs], "while true; do sleep 1; done"));
    }

    private async Task<bool> IsRunningAsync(string container) =>
        (await DockerCli.RunOnAsync(host, "inspect", "-f", "{{.State.Running}}", container)).Trim() == "true";
}
