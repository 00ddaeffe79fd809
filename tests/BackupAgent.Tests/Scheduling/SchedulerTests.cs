using System.Text.Json;
using BackupAgent.Core.Sets;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>The agent on a real engine: schedules fire, runs do not overlap, labelled containers join, history persists.</summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private string State => Path.Combine(_scope.Directory, "state");

    [Fact]
    public async Task A_schedule_firing_every_few_seconds_produces_backup_sets()
    {
        var volume = await _scope.CreateVolumeAsync("every");
        await TestScope.ShellInVolumeAsync(volume, "echo hello > /d/file");
        var job = _scope.Name("every");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, "0/3 * * * * ?", _scope.Backups, volume)));

        // Until two scheduled runs have ended (however long the machine takes for them), not for a fixed time.
        var result = await RunAgentWhileAsync(config, agent => WaitForAsync(
            async () => (await ListAsync()).Count >= 2 && Runs(job).Count(r => r.Outcome == RunOutcome.Succeeded && r.Trigger == "schedule") >= 2,
            "two scheduled runs that succeeded", agent));

        var sets = await ListAsync();
        Assert.True(sets.Count >= 2, $"expected at least 2 backup sets, found {sets.Count}:\n{result}");
        Assert.All(sets, s => Assert.Equal(volume, s.Archives.Single().Volume));
        var runs = new RunHistory(State).Runs(job);
        Assert.True(runs.Count(r => r.Outcome == RunOutcome.Succeeded && r.Trigger == "schedule") >= 2, result.ToString());
        var runId = runs.First(r => r.Outcome == RunOutcome.Succeeded).RunId;
        Assert.Contains($"[{job} {runId}] Backup set", result.Stderr);
    }

    [Fact]
    public async Task Overlapping_triggers_do_not_overlap_and_two_jobs_take_turns_on_one_volume()
    {
        var volume = await _scope.CreateVolumeAsync("busy");
        await TestScope.ShellInVolumeAsync(volume, "head -c 20000000 /dev/urandom > /d/data");
        var (first, second) = (_scope.Name("first"), _scope.Name("second"));
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(
            ConfigFile.Job(first, "* * * * * ?", _scope.Backups, volume),
            ConfigFile.Job(second, "* * * * * ?", _scope.Backups, volume)));

        // Until each job has succeeded and a run of one has waited for a run of the other (their runs overlap in time,
        // which the volume's lock allows only by making one wait): what is asserted below, reached at this machine's pace.
        var result = await RunAgentWhileAsync(config, agent => WaitForAsync(
            async () => (await ListAsync()).Count > 0 && Runs(first) is var a && Runs(second) is var b &&
                        a.Any(r => r.Outcome == RunOutcome.Succeeded) && b.Any(r => r.Outcome == RunOutcome.Succeeded) && Overlap(a, b),
            "a success of each job and a run of one waiting for the other", agent));

        var history = new RunHistory(State);
        foreach (var job in new[] { first, second })
        {
            var runs = history.Runs(job).OrderBy(r => r.StartedAt).ToList();
            Assert.True(runs.Count(r => r.Outcome == RunOutcome.Succeeded) >= 1, $"{job} never succeeded:\n{result}");
            for (var i = 1; i < runs.Count; i++)
            {
                Assert.True(runs[i].StartedAt >= runs[i - 1].FinishedAt, $"runs {runs[i - 1].RunId} and {runs[i].RunId} of {job} overlap");
            }
        }

        // Between a set's start and its end (both logged under the volume's lock) no other run starts a set.
        string? active = null;
        foreach (var line in result.Stderr.Split('\n'))
        {
            if (line.Contains("source(s) into set", StringComparison.Ordinal))
            {
                Assert.True(active is null, $"a backup started while {active} was still writing:\n{result.Stderr}");
                active = RunScope(line);
            }
            else if (active is not null && RunScope(line) == active && (line.Contains("is complete", StringComparison.Ordinal) || line.Contains("failed", StringComparison.Ordinal) || line.Contains("cancelled", StringComparison.Ordinal)))
            {
                active = null;
            }
        }

        Assert.Contains($"Waiting for volume {volume}: another run is working on it", result.Stderr);
    }

    [Fact]
    public async Task A_container_labelled_after_the_agent_started_is_picked_up()
    {
        var anchor = await _scope.CreateVolumeAsync("anchor");
        var job = _scope.Name("joined");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, "0/2 * * * * ?", _scope.Backups, anchor)));
        var (data, container) = ("", "");
        var result = await RunAgentWhileAsync(config, async agent =>
        {
            await WaitForAsync(async () => (await ListAsync()).Count > 0, "a first backup set", agent);
            data = await _scope.CreateVolumeAsync("late-data");
            await TestScope.ShellInVolumeAsync(data, "echo late > /d/late.txt");
            container = await _scope.CreateContainerAsync("late", "-v", $"{data}:/data", "--label", "backup-agent.enable=true", "--label", $"backup-agent.job={job}");
            await WaitForAsync(async () => (await ListAsync()).Any(s => s.SourceContainer == container), $"a backup set of {container}", agent);
        });

        var set = (await ListAsync()).First(s => s.SourceContainer == container);
        Assert.Equal(data, set.Archives.Single().Volume);
        Assert.Contains($"Containers labelled backup-agent.job={job}", result.Stderr);
    }

    [Fact]
    public async Task A_container_started_later_with_its_own_schedule_label_gets_its_own_job()
    {
        var anchor = await _scope.CreateVolumeAsync("own-anchor");
        var yaml = ConfigFile.Jobs(ConfigFile.Job(_scope.Name("idle"), "0 0 3 * * ?", _scope.Backups, anchor)) + "discovery: { intervalSeconds: 1 }\n";
        var config = ConfigFile.Write(_scope.Directory, yaml);
        var (data, container, broken) = ("", "", "");
        var result = await RunAgentWhileAsync(config, async agent =>
        {
            await WaitForAsync(() => Task.FromResult(agent.StderrSoFar.Contains(" is scheduled ", StringComparison.Ordinal)), "the agent's start", agent);
            data = await _scope.CreateVolumeAsync("own-data");
            container = await _scope.CreateContainerAsync("own", "-v", $"{data}:/data", "--label", "backup-agent.enable=true",
                "--label", "backup-agent.schedule=0/2 * * * * ?", "--label", $"backup-agent.destination={_scope.Backups}");
            broken = await _scope.CreateContainerAsync("broken", "--label", "backup-agent.enable=true", "--label", "backup-agent.schedule=whenever");
            await WaitForAsync(async () => (await ListAsync()).Any(s => s.SourceContainer == container), $"a backup set of {container}", agent);
        });

        Assert.Contains($"Container {container} has its own job label-{container}", result.Stderr);
        Assert.Contains($"Container {broken} asks for its own schedule, but its labels are wrong", result.Stderr);
        Assert.Contains("'whenever' is not a Quartz cron expression", result.Stderr);
        Assert.Equal(data, (await ListAsync()).First(s => s.SourceContainer == container).Archives.Single().Volume);
    }

    [Fact]
    public async Task After_downtime_a_missed_run_is_made_up_once_at_start_up()
    {
        var volume = await _scope.CreateVolumeAsync("catchup");
        var job = _scope.Name("catchup");
        var second = (DateTime.UtcNow.Second + 4) % 60;
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, $"{second} * * * * ?", _scope.Backups, volume)));
        await Agent.SucceedAsync("run", "--config", config, "--once", job);
        while (DateTime.UtcNow.Second != (second + 2) % 60)
        {
            await Task.Delay(200);
        }

        // Until the catch-up run has ended (the history exists since the run --once above), not for a fixed time.
        var result = await RunAgentWhileAsync(config, agent => WaitForAsync(
            () => Task.FromResult(Runs(job).Any(r => r.Trigger == "catch-up" && r.Outcome != RunOutcome.Running)), "the catch-up run's end", agent));

        var runs = new RunHistory(State).Runs(job);
        Assert.True(runs.Count(r => r.Trigger == "catch-up" && r.Outcome == RunOutcome.Succeeded) == 1, result.ToString());
        Assert.Contains($"Job {job} missed its run at", result.Stderr);
    }

    [Fact]
    public async Task Status_shows_the_last_run_and_survives_a_restart()
    {
        var (volume, job, config) = await OneJobAsync("status", "0 0 3 * * ?");

        var once = await Agent.SucceedAsync("run", "--config", config, "--once", job, "--json");
        var run = JsonDocument.Parse(once.Stdout).RootElement;
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        var byCommand = await Agent.SucceedAsync("backup", "--job", job, "--config", config);
        Assert.Contains($"job {job} run ", byCommand.Stdout);

        // A restart of the agent: it starts, finds its history, stops (once it has started, however long that takes).
        await RunAgentWhileAsync(config, agent => WaitForAsync(
            () => Task.FromResult(agent.StderrSoFar.Contains($"Job {job} (", StringComparison.Ordinal) && agent.StderrSoFar.Contains(" is scheduled ", StringComparison.Ordinal)), "the agent's start", agent));

        var status = await Agent.SucceedAsync("status", "--config", config, "--json");
        var entry = JsonDocument.Parse(status.Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal(job, entry.GetProperty("job").GetString());
        Assert.Equal("0 0 3 * * ?", entry.GetProperty("cron").GetString());
        Assert.True(entry.GetProperty("nextRun").GetDateTimeOffset().TimeOfDay == TimeSpan.FromHours(3));
        var last = entry.GetProperty("lastRun");
        Assert.Equal("backup --job", last.GetProperty("trigger").GetString());
        Assert.Equal("succeeded", last.GetProperty("outcome").GetString());
        Assert.True(last.GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(2, (await ListAsync()).Count);

        var human = await Agent.SucceedAsync("status", "--config", config);
        Assert.Contains($"{job} (backup): cron \"0 0 3 * * ?\" UTC, next run", human.Stdout);
        Assert.Contains("(backup --job): succeeded in", human.Stdout);
    }

    [Fact]
    public async Task A_failed_run_notifies_the_webhook_and_a_dead_webhook_never_fails_a_run()
    {
        using var hook = new WebhookRecorder();
        var volume = await _scope.CreateVolumeAsync("hooked");
        var (failing, fine) = (_scope.Name("failing"), _scope.Name("fine"));
        var yaml = ConfigFile.Jobs(
            ConfigFile.Job(failing, "0 0 3 * * ?", _scope.Backups, _scope.Name("no-such-volume")),
            ConfigFile.Job(fine, "0 0 3 * * ?", _scope.Backups, volume));
        var config = ConfigFile.Write(_scope.Directory, yaml + $"notifications: {{ webhook: {{ url: '{hook.Url}', onSuccess: false }} }}\n");

        var failed = await Agent.RunAsync("run", "--config", config, "--once", failing);
        Assert.Equal(2, failed.ExitCode);
        var body = JsonDocument.Parse(Assert.Single(hook.Bodies)).RootElement;
        Assert.Equal(failing, body.GetProperty("job").GetString());
        Assert.Equal("failed", body.GetProperty("outcome").GetString());
        Assert.Contains("no volume named", body.GetProperty("text").GetString());
        Assert.Equal(body.GetProperty("text").GetString(), body.GetProperty("content").GetString());

        var dead = ConfigFile.Write(_scope.Directory, yaml + "notifications: { webhook: { url: 'http://127.0.0.1:1/hook', onSuccess: true } }\n", "dead.yaml");
        var ok = await Agent.RunAsync("run", "--config", dead, "--once", fine);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("Could not notify the webhook", ok.Stderr);
    }

    /// <summary>A volume, and a configuration with one job backing it up on <paramref name="cron"/>.</summary>
    private async Task<(string Volume, string Job, string Config)> OneJobAsync(string stem, string cron)
    {
        var volume = await _scope.CreateVolumeAsync(stem);
        var job = _scope.Name(stem);
        return (volume, job, ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, cron, _scope.Backups, volume))));
    }

    /// <summary>Runs the agent while <paramref name="during"/> acts and waits, then stops it as SIGTERM would; it must exit 0.</summary>
    private static async Task<AgentResult> RunAgentWhileAsync(string config, Func<RunningAgent, Task> during)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var agent = Agent.Start(null, stop.Token, "run", "--config", config);
        await during(agent);
        await stop.CancelAsync();
        var result = await agent.Result;
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>
    /// The job's runs in the agent's history. Read only once the history exists and its schema is made (after the
    /// agent's first run started): two processes making the schema at once would both add its late columns.
    /// </summary>
    private IReadOnlyList<RunRecord> Runs(string job) =>
        File.Exists(Path.Combine(State, "history.db")) ? new RunHistory(State).Runs(job) : [];

    /// <summary>Whether an ended run in <paramref name="a"/> and one in <paramref name="b"/> were under way at the same time.</summary>
    private static bool Overlap(IReadOnlyList<RunRecord> a, IReadOnlyList<RunRecord> b) =>
        a.Any(x => x.FinishedAt is { } xEnd && b.Any(y => y.FinishedAt is { } yEnd && x.StartedAt < yEnd && y.StartedAt < xEnd));

    private async Task<IReadOnlyList<BackupSet>> ListAsync()
    {
        if (!Directory.Exists(_scope.Backups))
        {
            return [];
        }

        var list = await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json");
        return JsonSerializer.Deserialize<List<BackupSet>>(list.Stdout, BackupCatalog.Json)!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, RunningAgent agent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (!await condition())
        {
            if (agent.Result.IsCompleted)
            {
                Assert.Fail($"the agent stopped while waiting for {what}:\n{await agent.Result}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what} within 45 s:\n{agent.StderrSoFar}");
            await Task.Delay(500);
        }
    }

    /// <summary>The "[job run]" a run's log lines start with (after the timestamp and level).</summary>
    private static string? RunScope(string line)
    {
        var open = line.IndexOf(" [", StringComparison.Ordinal);
        var close = line.IndexOf("] ", StringComparison.Ordinal);
        return open >= 0 && close > open ? line[(open + 2)..close] : null;
    }
}
