using System.Text.Json;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>Scheduled prune and verify (restore drill) jobs, encryption from config, and warnings in history and notifications.</summary>
public sealed class MaintenanceJobTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    private string State => Path.Combine(_scope.Directory, "state");

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Prune_and_deep_verify_jobs_keep_the_newest_sets_and_report_damage_in_history_and_webhook()
    {
        var volume = await _scope.CreateVolumeAsync("maint");
        await TestScope.ShellInVolumeAsync(volume, "echo data > /d/f; mkdir /d/dir");
        var (backup, prune, verify) = (_scope.Name("b"), _scope.Name("p"), _scope.Name("v"));
        var passphrase = Path.Combine(_scope.Directory, "passphrase");
        await File.WriteAllTextAsync(passphrase, Secrets.Register("scheduled secret"));
        using var hook = new WebhookRecorder();
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {State}
            notifications: {"{"} webhook: {"{"} url: '{hook.Url}', onSuccess: false {"}"} {"}"}
            jobs:
              - name: {backup}
                cron: "0 0 3 * * ?"
                destination: {_scope.Backups}
                passphrase_FILE: {passphrase}
                sources: {"{"} volumes: [{volume}] {"}"}
              - name: {prune}
                kind: prune
                cron: "0 0 4 * * ?"
                destination: {_scope.Backups}
                keep: {"{"} last: 2 {"}"}
              - name: {verify}
                kind: verify
                cron: "0 0 5 * * ?"
                destination: {_scope.Backups}
                deep: true
                passphrase_FILE: {passphrase}
            """);
        for (var i = 0; i < 3; i++)
        {
            await Agent.SucceedAsync("run", "--config", config, "--once", backup);
        }

        await Agent.SucceedAsync("run", "--config", config, "--once", prune);
        var sets = JsonDocument.Parse((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json")).Stdout).RootElement;
        Assert.Equal(2, sets.GetArrayLength());
        Assert.Equal("age-v1", sets[0].GetProperty("archives")[0].GetProperty("encryption").GetString());

        var drill = await Agent.SucceedAsync("run", "--config", config, "--once", verify);
        Assert.Contains("scratch volume", drill.Stderr);

        var archive = Directory.EnumerateFiles(Path.Combine(_scope.Backups, sets[0].GetProperty("id").GetString()!), "*.tar.zst.age").Single();
        var bytes = await File.ReadAllBytesAsync(archive);
        bytes[^20] ^= 1;
        await File.WriteAllBytesAsync(archive, bytes);
        var failed = await Agent.RunAsync("run", "--config", config, "--once", verify);
        Assert.Equal(1, failed.ExitCode);
        var last = new RunHistory(State).Last(verify)!;
        Assert.Equal(RunOutcome.Failed, last.Outcome);
        Assert.Contains("failed verification", last.Error);
        Assert.Contains("failed verification", JsonDocument.Parse(hook.Bodies.Last()).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_volume_that_shrank_is_a_warning_in_the_history_and_is_notified_even_when_successes_are_not()
    {
        var volume = await _scope.CreateVolumeAsync("shrinks");
        await TestScope.ShellInVolumeAsync(volume, "head -c 2000000 /dev/urandom > /d/big");
        var job = _scope.Name("shrink");
        using var hook = new WebhookRecorder();
        var config = ConfigFile.Write(_scope.Directory,
            $"state: {State}\nnotifications: {{ webhook: {{ url: '{hook.Url}', onSuccess: false }} }}\n" + ConfigFile.Jobs(ConfigFile.Job(job, "0 0 3 * * ?", _scope.Backups, volume)));
        await Agent.SucceedAsync("run", "--config", config, "--once", job);
        Assert.Empty(hook.Bodies);

        await TestScope.ShellInVolumeAsync(volume, "rm /d/big");
        await Agent.SucceedAsync("run", "--config", config, "--once", job);
        var run = new RunHistory(State).Last(job)!;
        Assert.Equal(RunOutcome.Succeeded, run.Outcome);
        Assert.Contains($"the contents of '{volume}' dropped from 2000000 to 0 bytes", Assert.Single(run.Warnings));
        var body = JsonDocument.Parse(Assert.Single(hook.Bodies)).RootElement;
        Assert.Contains("dropped from 2000000", body.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_job_with_stop_and_config_hooks_records_the_downtime_and_runs_its_hooks()
    {
        var volume = await _scope.CreateVolumeAsync("jobstop");
        var app = await _scope.RunContainerAsync("jobstop-app", ["-v", $"{volume}:/d"], "sleep 1000");
        var job = _scope.Name("jobstop");
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {State}
            jobs:
              - name: {job}
                cron: "0 0 3 * * ?"
                destination: {_scope.Backups}
                stop: true
                hooks:
                  - container: {app}
                    pre: echo dumped > /d/dump.sql
                    post: touch /tmp/post-hook-ran
                sources: {"{"} volumes: [{volume}] {"}"}
            """);

        var dry = await Agent.SucceedAsync("run", "--config", config, "--once", job, "--dry-run", "--state-dir", State);
        Assert.Contains($"stop, in this order: {app}", dry.Stdout);
        Assert.Contains($"pre-backup hook in {app}: echo dumped > /d/dump.sql", dry.Stdout);
        Assert.False(Directory.Exists(_scope.Backups));
        Assert.Null(new RunHistory(State).Last(job));

        var result = await Agent.SucceedAsync("run", "--config", config, "--once", job, "--state-dir", State);
        var run = new RunHistory(State).Last(job)!;
        Assert.StartsWith($"{app} ", Assert.Single(run.Downtimes));
        Assert.Contains("Running the pre-backup hook in", result.Stderr);
        Assert.True(await TestScope.IsRunningAsync(app));
        await DockerCli.RunAsync("exec", app, "test", "-f", "/tmp/post-hook-ran");
        var restored = _scope.Track(_scope.Name("jobstop-copy"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{volume}={restored}", "--state-dir", State);
        Assert.Equal("dumped", (await TestScope.ShellInVolumeAsync(restored, "cat /d/dump.sql")).Trim());
    }
}
