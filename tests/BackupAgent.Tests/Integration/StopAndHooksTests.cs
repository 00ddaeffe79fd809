using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Consistent backups: the right containers stop for the read and start again; hooks; crash recovery.</summary>
public sealed class StopAndHooksTests : IAsyncLifetime
{
    private const string Writer = "i=0; while true; do i=$((i+1)); echo $i >> /d/log; sleep 0.02; done";

    private TestScope _scope = null!;
    private string _state = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _state = Path.Combine(_scope.Directory, "state");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_container_writing_to_the_volume_is_stopped_for_the_read_and_running_afterwards_and_a_stopped_one_stays_stopped()
    {
        var volume = await _scope.CreateVolumeAsync("live");
        var writer = await _scope.RunContainerAsync("writer", ["-v", $"{volume}:/d"], Writer);
        var idle = await _scope.CreateContainerAsync("idle", "-v", $"{volume}:/d");
        var startedBefore = await DockerCli.RunAsync("inspect", "-f", "{{.State.StartedAt}}", writer);

        var result = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--state-dir", _state, "--json");
        using var set = JsonDocument.Parse(result.Stdout);
        var downtime = Assert.Single(set.RootElement.GetProperty("downtimes").EnumerateArray());
        Assert.Equal(writer, downtime.GetProperty("container").GetString());
        Assert.True(downtime.GetProperty("seconds").GetDouble() > 0);

        Assert.True(await TestScope.IsRunningAsync(writer));
        Assert.NotEqual(startedBefore, await DockerCli.RunAsync("inspect", "-f", "{{.State.StartedAt}}", writer));
        Assert.False(await TestScope.IsRunningAsync(idle));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_state, "stopped"), "*.json"));

        // The data read while the writer was stopped is whole: the log's last line is complete.
        var restored = _scope.Track(_scope.Name("live-copy"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{volume}={restored}", "--state-dir", _state);
        var last = (await TestScope.ShellInVolumeAsync(restored, "tail -c 1 /d/log | od -An -c")).Trim();
        Assert.Equal("\\n", last);
    }

    [Fact]
    public async Task An_app_that_exits_right_after_it_was_started_again_fails_the_backup_naming_it_its_exit_code_and_log()
    {
        // Like PostgreSQL whose socket directory lost its owner: it runs until stopped, and then cannot start again.
        var volume = await _scope.CreateVolumeAsync("no-restart");
        var app = await _scope.RunContainerAsync("no-restart-app", ["-v", $"{volume}:/d", "--log-driver", "json-file"],
            "if [ -e /d/started ]; then echo 'could not create lock file: Permission denied' >&2; exit 3; fi; touch /d/started; while true; do sleep 1; done");
        await Poll.UntilAsync(async () => (await TestScope.ShellInVolumeAsync(volume, "ls /d")).Contains("started"), "the app never started");

        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--state-dir", _state);

        // Whether the engine sees it exit at once or only the settle check does, the run fails naming it, its code and log.
        Assert.Equal(1, result.ExitCode);
        Assert.Matches($"container '{app}' (was started again but exited within 3 s with code 3|exited right after it was started \\(exit code 3\\))", result.Stderr);
        Assert.Contains("(could not create lock file: Permission denied)", result.Stderr);
        Assert.DoesNotContain($"Started container {app} again", result.Stderr);
        Assert.Single((await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_and_touches_nothing()
    {
        var volume = await _scope.CreateVolumeAsync("dry");
        var app = await _scope.RunContainerAsync("dry-app", ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=echo dump"], "sleep 1000");
        var result = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--dry-run", "--state-dir", _state);
        Assert.Contains($"archive {volume}.tar.zst: volume {volume}", result.Stdout);
        Assert.Contains($"stop, in this order: {app}", result.Stdout);
        Assert.Contains($"pre-backup hook in {app}: echo dump", result.Stdout);
        Assert.False(Directory.Exists(_scope.Backups));
        Assert.Equal(startedAt(await DockerCli.RunAsync("inspect", "-f", "{{.State.StartedAt}}", app)), startedAt(await DockerCli.RunAsync("inspect", "-f", "{{.State.StartedAt}}", app)));
        Assert.True(await TestScope.IsRunningAsync(app));

        static string startedAt(string s) => s.Trim();
    }

    [Fact]
    public async Task A_failing_pre_hook_fails_the_run_before_anything_is_read_and_post_hooks_still_run()
    {
        var volume = await _scope.CreateVolumeAsync("prehook");
        var app = await _scope.RunContainerAsync("prehook-app",
            ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=echo dumping; exit 3", "--label", "backup-agent.post-backup=touch /tmp/post-ran"],
            "sleep 1000");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--state-dir", _state);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the pre-backup hook in '{app}' exited with code 3; nothing was backed up", result.Stderr);
        Assert.Contains("dumping", result.Stderr);
        Assert.False(Directory.Exists(_scope.Backups) && Directory.EnumerateFileSystemEntries(_scope.Backups).Any());
        await DockerCli.RunAsync("exec", app, "test", "-f", "/tmp/post-ran");
        Assert.True(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task A_pre_hook_marked_continue_and_a_failing_post_hook_keep_the_backup_but_fail_the_run()
    {
        var volume = await _scope.CreateVolumeAsync("posthook");
        var app = await _scope.RunContainerAsync("posthook-app",
            ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=exit 1", "--label", "backup-agent.pre-backup-on-error=continue", "--label", "backup-agent.post-backup=exit 4"],
            "sleep 1000");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--state-dir", _state);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is complete, but the post-backup hook in", result.Stderr);
        Assert.Contains("exited with code 4", result.Stderr);
        Assert.Contains(volume, (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout);
        Assert.True(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task A_hook_that_times_out_fails_the_run_naming_the_timeout()
    {
        var volume = await _scope.CreateVolumeAsync("slowhook");
        await _scope.RunContainerAsync("slowhook-app",
            ["-v", $"{volume}:/d", "--label", "backup-agent.pre-backup=sleep 30", "--label", "backup-agent.hook-timeout=1"], "sleep 1000");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--state-dir", _state);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("did not finish within 1 s", result.ToString());
    }

    [Fact]
    public async Task A_container_that_does_not_start_again_fails_the_run_loudly_and_stays_in_the_journal()
    {
        var volume = await _scope.CreateVolumeAsync("nostart");
        var parent = Directory.CreateDirectory(Path.Combine(_scope.Directory, "parent")).FullName;
        Directory.CreateDirectory(Path.Combine(parent, "needed"));
        // The pre-backup hook removes the host directory the container's bind mount needs, so it cannot start again.
        var app = await _scope.RunContainerAsync("nostart-app",
            ["-v", $"{volume}:/d", "-v", $"{parent}:/p", "--mount", $"type=bind,source={Path.Combine(parent, "needed")},target=/needed", "--label", "backup-agent.pre-backup=rm -rf /p/needed"],
            "sleep 1000");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--state-dir", _state);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"container '{app}' did not start again", result.Stderr);
        Assert.Contains("is complete, but", result.Stderr);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_state, "stopped"), "*.json"));
        Assert.False(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task After_the_agent_is_killed_while_a_container_is_stopped_recover_starts_it_and_empties_the_journal()
    {
        var volume = await _scope.CreateVolumeAsync("killed");
        await TestScope.ShellInVolumeAsync(volume, "head -c 400000000 /dev/zero > /d/big");
        var app = await _scope.RunContainerAsync("killed-app", ["-v", $"{volume}:/d"], "sleep 1000");

        await using (var agent = AgentProcess.Start("backup", "--to", _scope.Backups, "--volume", volume, "--stop", "--compression", "gzip", "--state-dir", _state))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await TestScope.IsRunningAsync(app))
            {
                Assert.True(DateTime.UtcNow < deadline, "the agent never stopped the container");
                await Task.Delay(20);
            }

            agent.Kill();
            await agent.WaitAsync();
        }

        Assert.False(await TestScope.IsRunningAsync(app));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_state, "stopped"), "*.json"));

        var recover = await Agent.SucceedAsync("recover", "--state-dir", _state);
        Assert.Contains($"started again: {app}", recover.Stdout);
        Assert.True(await TestScope.IsRunningAsync(app));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_state, "stopped"), "*.json"));
        // The agent may be killed before its first write created the destination: then there is nothing to list.
        if (Directory.Exists(_scope.Backups))
        {
            Assert.Empty((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json")).Stdout.Trim().Trim('[', ']').Trim());
        }
    }
}
