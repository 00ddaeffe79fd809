using System.Text.Json;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>Copies in the scheduled agent: a backup job's copies:, kind: copy, and a prune job that prunes each copy destination, against a directory and S3.</summary>
public sealed class CopyJobTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _bucket = "";
    private Dictionary<string, string?> _env = null!;

    private string State => Path.Combine(_scope.Directory, "state");

    private string Offsite => $"s3://{_bucket}/offsite";

    private string Second => Path.Combine(_scope.Directory, "second");

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _bucket = await S3TestServer.CreateBucketAsync();
        _env = S3TestServer.AgentEnvironment();
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_job_copies_each_new_set_and_prunes_both_stores_a_copy_job_fills_a_third_and_a_prune_job_thins_out_two()
    {
        var volume = await _scope.CreateVolumeAsync("jobcopy");
        await TestScope.ShellInVolumeAsync(volume, "echo data > /d/f; echo noise > /d/app.log");
        var (backup, copy, prune) = (_scope.Name("b"), _scope.Name("c"), _scope.Name("p"));
        using var hook = new WebhookRecorder();
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {State}
            notifications: {"{"} webhook: {"{"} url: '{hook.Url}', onSuccess: true {"}"} {"}"}
            destinations:
              local: {"{"} url: {_scope.Backups} {"}"}
              offsite: {"{"} url: '{Offsite}' {"}"}
            jobs:
              - name: {backup}
                cron: "0 0 3 * * ?"
                destination: local
                copies: [offsite]
                keep: {"{"} last: 2 {"}"}
                exclude: ["*.log"]
                sources: {"{"} volumes: [{volume}] {"}"}
              - name: {copy}
                kind: copy
                cron: "0 0 4 * * ?"
                destination: local
                copies: [offsite, {Second}]
              - name: {prune}
                kind: prune
                cron: "0 0 5 * * ?"
                destination: local
                copies: [offsite]
                keep: {"{"} last: 1 {"}"}
            """);

        var check = await Agent.SucceedAsync("config", "check", "--config", config);
        Assert.Contains($"{copy}: copy to {_scope.Backups}, copies in {Offsite}, {Second}, cron", check.Stdout);

        for (var i = 0; i < 3; i++)
        {
            await Agent.SucceedWithAsync(_env, "run", "--config", config, "--once", backup);
        }

        var run = new RunHistory(State).Last(backup)!;
        var id = Assert.Single(run.Sets);
        Assert.Equal(3, run.Copies.Count);
        Assert.StartsWith($"{id} copied to offsite (", run.Copies[0]);
        Assert.Equal(["pruned 1 set(s) at local, kept 2", "pruned 1 set(s) at offsite, kept 2"], run.Copies.Skip(1));
        Assert.Equal(2, (await SetsAsync(_scope.Backups)).Count);
        Assert.Contains($"{id} copied to offsite", string.Join('\n', JsonDocument.Parse(hook.Bodies[^1]).RootElement.GetProperty("copies").EnumerateArray().Select(c => c.GetString())));
        Assert.Equal(2, (await SetsAsync(Offsite)).Count);
        Assert.Equal(["*.log"], (await SetsAsync(Offsite))[0].GetProperty("archives")[0].GetProperty("excludes").EnumerateArray().Select(p => p.GetString()));

        var dry = await Agent.SucceedWithAsync(_env, "run", "--config", config, "--once", copy, "--dry-run");
        Assert.Contains($"{id} is in offsite already", dry.Stdout);
        Assert.Contains($"{id} would be copied to {Second}", dry.Stdout);
        await Agent.SucceedWithAsync(_env, "run", "--config", config, "--once", copy);
        var copied = new RunHistory(State).Last(copy)!;
        Assert.Equal(RunOutcome.Succeeded, copied.Outcome);
        Assert.Equal(2, copied.Sets.Count);
        Assert.Equal(2, copied.Copies.Count(c => c.Contains(" is in offsite already", StringComparison.Ordinal)));
        Assert.Equal(2, (await SetsAsync(Second)).Count);

        await Agent.SucceedWithAsync(_env, "run", "--config", config, "--once", prune);
        Assert.Equal([id], (await SetsAsync(_scope.Backups)).Select(s => s.GetProperty("id").GetString()));
        Assert.Equal([id], (await SetsAsync(Offsite)).Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(2, (await SetsAsync(Second)).Count);
        Assert.Equal(["pruned 1 set(s) at local, kept 1", "pruned 1 set(s) at offsite, kept 1"], new RunHistory(State).Last(prune)!.Copies);

        var restored = _scope.Track(_scope.Name("jobcopy-restored"));
        await Agent.SucceedWithAsync(_env, "restore", "--from", Offsite, "--volume", $"{volume}={restored}");
        Assert.Equal("data", (await TestScope.ShellInVolumeAsync(restored, "cat /d/f; test ! -e /d/app.log")).Trim());
    }

    [Fact]
    public async Task A_copy_that_fails_fails_the_run_and_the_history_keeps_the_set_that_was_backed_up()
    {
        var volume = await _scope.CreateVolumeAsync("jobcopy-fails");
        var notADirectory = Path.Combine(_scope.Directory, "a-file");
        await File.WriteAllTextAsync(notADirectory, "not a store");
        var job = _scope.Name("bf");
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {State}
            jobs:
              - name: {job}
                cron: "0 0 3 * * ?"
                destination: {_scope.Backups}
                copies: ['{notADirectory}', '{Second}']
                sources: {"{"} volumes: [{volume}] {"}"}
            """);

        var failed = await Agent.RunAsync("run", "--config", config, "--once", job);

        Assert.Equal(1, failed.ExitCode);
        var run = new RunHistory(State).Last(job)!;
        Assert.Equal(RunOutcome.Failed, run.Outcome);
        var id = Assert.Single(run.Sets);
        Assert.Equal($"backup set {id} is complete at {_scope.Backups}, but nothing was copied to {notADirectory}: destination '{notADirectory}' is a file, not a directory", run.Error);
        Assert.Equal([$"nothing was copied to {notADirectory}: destination '{notADirectory}' is a file, not a directory", $"{id} copied to {Second}"], run.Copies.Select(c => c.Split(" (")[0]));
        Assert.Equal([id], (await SetsAsync(Second)).Select(s => s.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_copy_destination_that_is_the_jobs_own_or_unknown_is_a_configuration_problem()
    {
        var config = ConfigFile.Write(_scope.Directory, $"""
            state: {State}
            destinations:
              local: {"{"} url: {_scope.Backups} {"}"}
            jobs:
              - name: c
                kind: copy
                cron: "0 0 4 * * ?"
                destination: local
                copies: [local, nowhere]
              - name: v
                kind: verify
                cron: "0 0 4 * * ?"
                destination: local
                copies: ['{Second}']
                exclude: ['/']
            """);

        var check = await Agent.RunAsync("config", "check", "--config", config);

        Assert.Equal(2, check.ExitCode);
        Assert.Contains("jobs[0].copies[0]: 'local' is the job's own destination", check.Stderr);
        Assert.Contains("jobs[0].copies[1]: 'nowhere' is not a destination name (local) nor a path or URL", check.Stderr);
        Assert.Contains("jobs[1].copies: a verify job has no copies", check.Stderr);
        Assert.Contains("jobs[1].exclude: a verify job reads no volumes", check.Stderr);
        Assert.Contains("jobs[1].exclude[0]: '/' would leave out the whole source", check.Stderr);
    }

    private async Task<List<JsonElement>> SetsAsync(string dest) =>
        JsonDocument.Parse((await Agent.SucceedWithAsync(_env, "list", "--from", dest, "--json")).Stdout).RootElement.EnumerateArray().ToList();
}
