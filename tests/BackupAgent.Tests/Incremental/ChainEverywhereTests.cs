using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Scheduling;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>Chains with the rest of the agent: --stop and hooks, every compression, another engine, and scheduled jobs with their history.</summary>
public sealed class ChainEverywhereTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("everywhere");
        await TestScope.ShellInVolumeAsync(_source, "printf 'one\\n' > /d/one && mkdir /d/dir && printf 'two\\n' > /d/dir/two");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private static string IdOf(AgentResult backup) => backup.Stdout.Split('\n')[0].Replace("backup set ", "").Trim();

    [Fact]
    public async Task A_chain_made_with_stop_hooks_and_each_compression_restores_and_the_app_runs_again()
    {
        var app = await _scope.RunContainerAsync("everywhere-app",
            ["-v", $"{_source}:/d", "--label", "backup-agent.pre-backup=date +%s%N > /d/dump.txt"], "while true; do sleep 1; done");
        var full = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full", "--stop", "--compression", "gzip");
        await TestScope.ShellInVolumeAsync(_source, "printf 'three\\n' > /d/dir/three && rm /d/one");
        var first = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--stop", "--compression", "none");
        Assert.Contains($"(level 1 on {IdOf(full)})", first.Stdout);
        Assert.Contains($"{app} was stopped for", first.Stdout);
        await TestScope.ShellInVolumeAsync(_source, "mv /d/dir /d/moved");
        var second = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--stop");
        Assert.Contains($"(level 2 on {IdOf(first)})", second.Stdout);
        Assert.True(await TestScope.IsRunningAsync(app));

        // The hook's dump is part of what each level carries.
        var expected = await VolumeSnapshot.TakeAsync(_source);
        Assert.Contains("./dump.txt", expected.Entries.Keys);
        var target = _scope.Track(_scope.Name("everywhere-stop"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--deep");
    }

    [Fact]
    public async Task A_volume_of_the_same_name_on_another_engine_starts_a_new_full()
    {
        var host = DockerCli.SecondEngine;
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full");
        await DockerCli.EnsureHelperImageOnAsync(host);
        _scope.TrackOn(host, "volume", _source);
        await DockerCli.RunOnAsync(host, "volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", _source);

        var other = await Agent.SucceedAsync("backup", "--docker-host", host, "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", other.Stdout);
        Assert.Contains("was read on another engine", other.Stderr);
    }

    [Fact]
    public async Task A_scheduled_job_with_full_every_makes_a_full_after_that_many_incrementals_and_records_each_run()
    {
        var job = _scope.Name("chain-job");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(
            ConfigFile.Job(job, "0 0 3 * * ?", _scope.Backups, _source) + "    incremental: { fullEvery: 2 }\n"));
        var levels = new List<string>();
        for (var run = 0; run < 4; run++)
        {
            await TestScope.ShellInVolumeAsync(_source, $"printf 'run {run}\\n' > /d/run-{run}");
            await Agent.SucceedAsync("backup", "--job", job, "--config", config);
            var list = await Agent.SucceedAsync("list", "--from", _scope.Backups);
            levels.Add(list.Stdout.Split('\n')[0].Contains("(full, level 0)") ? "0" : list.Stdout.Split('\n')[0].Split("(level ")[1][..1]);
        }

        Assert.Equal(["0", "1", "2", "0"], levels);

        // --full forces this run of the job to start a new chain; a job that makes no chains refuses it.
        await Agent.SucceedAsync("backup", "--job", job, "--config", config);
        Assert.Contains("(level 1 on ", (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout.Split('\n')[0]);
        await Agent.SucceedAsync("backup", "--job", job, "--config", config, "--full");
        Assert.Contains("(full, level 0)", (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout.Split('\n')[0]);
        var plainJob = _scope.Name("plain-job");
        var plain = ConfigFile.Write(Path.Combine(_scope.Directory, "plain"), ConfigFile.Jobs(ConfigFile.Job(plainJob, "0 0 3 * * ?", _scope.Backups, _source)));
        var refused = await Agent.RunAsync("backup", "--job", plainJob, "--config", plain, "--full");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"--full forces the full of a chain, and job '{plainJob}' has no incremental: section", refused.Stderr);
        var runs = new RunHistory(Path.Combine(_scope.Directory, "state")).Runs(job);
        Assert.Equal(6, runs.Count(r => r.Outcome == RunOutcome.Succeeded && r.Sets.Count == 1));

        var expected = await VolumeSnapshot.TakeAsync(_source);
        var target = _scope.Track(_scope.Name("everywhere-job"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
    }
}
