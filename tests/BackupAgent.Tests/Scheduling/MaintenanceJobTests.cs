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
        await File.WriteAllTextAsync(passphrase, "scheduled secret");
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
        Assert.Equal("bae1-aes-256-gcm", sets[0].GetProperty("archives")[0].GetProperty("encryption").GetString());

        var drill = await Agent.SucceedAsync("run", "--config", config, "--once", verify);
        Assert.Contains("scratch volume", drill.Stderr);

        var archive = Directory.EnumerateFiles(Path.Combine(_scope.Backups, sets[0].GetProperty("id").GetString()!), "*.tar.zst.enc").Single();
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
}
