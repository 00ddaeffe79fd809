using System.Net;
using System.Text.Json;
using BackupAgent.Core.Consistency;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>
/// The agent's monitoring endpoint (metrics.listen) on a real engine, reached through a relay of the test's own
/// (<see cref="EngineRelay"/>), so that the engine can stop answering without anything happening to it.
/// </summary>
public sealed class MonitoringTests : IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task After_a_scheduled_run_the_metrics_tell_its_result_and_readyz_turns_503_when_the_engine_stops()
    {
        var volume = await _scope.CreateVolumeAsync("measured");
        await TestScope.ShellInVolumeAsync(volume, "head -c 300000 /dev/urandom > /d/data; echo hello > /d/small");
        await using var relay = EngineRelay.Start(_scope.Directory);
        var (good, bad) = (_scope.Name("measured"), _scope.Name("failing"));
        // Both jobs fire once, a few seconds from now, and then not for a day: nothing changes the values read below.
        var at = DateTime.UtcNow.AddSeconds(8);
        var cron = $"{at.Second} {at.Minute} {at.Hour} * * ?";
        var port = MetricsScrape.FreePort();
        var yaml = ConfigFile.Jobs(ConfigFile.Job(good, cron, _scope.Backups, volume), ConfigFile.Job(bad, cron, _scope.Backups, _scope.Name("no-such-volume")))
                   + $"metrics: {{ listen: '127.0.0.1:{port}' }}\n";
        var config = ConfigFile.Write(_scope.Directory, yaml);
        var url = $"http://127.0.0.1:{port}";
        var (runs, sets) = ($"backupagent_job_runs_total{{job=\"{good}\",kind=\"backup\",result=\"succeeded\"}}", $"backupagent_backup_sets{{destination=\"{_scope.Backups}\"}}");
        var failedRuns = $"backupagent_job_runs_total{{job=\"{bad}\",kind=\"backup\",result=\"failed\"}}";

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = relay.Address, ["BACKUP_AGENT_STATE_DIR"] = Path.Combine(_scope.Directory, "agent-state") };
        var agent = Agent.RunWithAsync(environment, stop.Token, "run", "--config", config);
        var scrape = await WaitForAsync(agent, "both scheduled runs in /metrics", async () =>
            await MetricsScrape.TakeAsync(_http, url + "/metrics") is var s && s[runs] is not null && s[failedRuns] is not null && s[sets] is not null ? s : null);

        var history = new RunHistory(Path.Combine(_scope.Directory, "state"));
        var ok = Assert.Single(history.Runs(good));
        var failed = Assert.Single(history.Runs(bad));
        Assert.Equal(RunOutcome.Succeeded, ok.Outcome);
        Assert.Equal(RunOutcome.Failed, failed.Outcome);
        Assert.Equal(1, scrape[runs]);
        Assert.Equal(1, scrape[failedRuns]);
        Assert.Null(scrape[$"backupagent_job_runs_total{{job=\"{good}\",kind=\"backup\",result=\"failed\"}}"]);
        AssertTime(ok.FinishedAt!.Value, scrape[$"backupagent_job_last_success_timestamp_seconds{{job=\"{good}\"}}"], scrape);
        AssertTime(ok.FinishedAt!.Value, scrape[$"backupagent_job_last_run_timestamp_seconds{{job=\"{good}\"}}"], scrape);
        AssertTime(failed.FinishedAt!.Value, scrape[$"backupagent_job_last_run_timestamp_seconds{{job=\"{bad}\"}}"], scrape);
        Assert.True(scrape[$"backupagent_job_last_success_timestamp_seconds{{job=\"{bad}\"}}"] is null, $"a job that never succeeded has a last success:\n{scrape}");
        Assert.True(ok.Bytes > 300000, ok.Bytes.ToString());
        Assert.Equal(ok.Bytes, scrape[$"backupagent_job_bytes{{job=\"{good}\"}}"]);
        Assert.Equal(0, scrape[$"backupagent_job_bytes{{job=\"{bad}\"}}"]);
        Assert.Equal(1, scrape[$"backupagent_job_duration_seconds_count{{job=\"{good}\"}}"]);
        Assert.Equal(ok.Duration!.Value.TotalSeconds, scrape[$"backupagent_job_duration_seconds_sum{{job=\"{good}\"}}"]!.Value, 3);
        Assert.Equal(1, scrape[$"backupagent_job_duration_seconds_bucket{{job=\"{good}\",le=\"+Inf\"}}"]);
        Assert.Equal(Directory.GetDirectories(_scope.Backups).Length, scrape[sets]);
        Assert.Equal(1, scrape[sets]);
        Assert.Equal(86400, scrape[$"backupagent_job_expected_interval_seconds{{job=\"{good}\"}}"]);
        Assert.Equal(0, scrape["backupagent_containers_left_stopped"]);
        Assert.Equal("counter", scrape.Types["backupagent_job_runs_total"]);
        Assert.Equal("histogram", scrape.Types["backupagent_job_duration_seconds"]);
        Assert.Equal("gauge", scrape.Types["backupagent_job_last_success_timestamp_seconds"]);

        // Ready once its engine check (docker info, 5 s at most) has answered: an engine busy with the other tests' helpers
        // may take longer for one check; what the test controls (the relay) is up all the while.
        var (status, ready) = await WaitForAsync(agent, "/readyz answering 200", async () =>
            await GetAsync(url + "/readyz") is var r && r.Status == HttpStatusCode.OK ? r : null);
        Assert.True(status == HttpStatusCode.OK, ready.ToString());
        Assert.True(ready.GetProperty("ready").GetBoolean());
        Assert.Empty(ready.GetProperty("reasons").EnumerateArray());
        Assert.True(ready.GetProperty("engine").GetProperty("ok").GetBoolean());
        Assert.Equal("the scheduler runs", ready.GetProperty("scheduler").GetProperty("detail").GetString());
        var jobs = ready.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("job").GetString()!);
        Assert.Equal(ok.FinishedAt!.Value, jobs[good].GetProperty("lastSuccess").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, jobs[bad].GetProperty("lastSuccess").ValueKind);
        Assert.False(jobs[bad].GetProperty("overdue").GetBoolean());

        relay.Stop();

        var (down, why) = await WaitForAsync(agent, "/readyz answering 503", async () =>
            await GetAsync(url + "/readyz") is var r && r.Status == HttpStatusCode.ServiceUnavailable ? r : null);
        Assert.False(why.GetProperty("ready").GetBoolean());
        var reason = Assert.Single(why.GetProperty("reasons").EnumerateArray()).GetString()!;
        Assert.StartsWith($"the Docker engine at {relay.Address} does not answer", reason);
        Assert.False(why.GetProperty("engine").GetProperty("ok").GetBoolean());
        Assert.True(why.GetProperty("scheduler").GetProperty("ok").GetBoolean());
        var (alive, body) = await GetAsync(url + "/healthz");
        Assert.Equal(HttpStatusCode.OK, alive);
        Assert.Equal("alive", body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        using (var probe = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url + "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, probe.StatusCode); // wget --spider, as a container's health check may use
        }

        using (var wrong = await _http.PostAsync(url + "/readyz", null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(url + "/nothing")).StatusCode);

        await stop.CancelAsync();
        var result = await agent;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Serving /metrics, /healthz and /readyz on 127.0.0.1:{port}", result.Stderr);
        await Assert.ThrowsAsync<HttpRequestException>(() => _http.GetAsync(url + "/healthz"));
    }

    [Fact]
    public async Task A_container_a_dead_agent_left_stopped_that_does_not_start_again_is_counted_as_left_stopped()
    {
        var container = await _scope.CreateContainerAsync("unstartable", "--entrypoint", "/no/such/program");
        var id = (await DockerCli.RunAsync("inspect", "-f", "{{.Id}}", container)).Trim();
        var state = Path.Combine(_scope.Directory, "agent-state");
        new StopJournal(Path.Combine(state, "stopped"), new CollectingLog().Logger)
            .Record(new JournalEntry("deadrun1", $"{Environment.MachineName}:999999999:1", DateTimeOffset.UtcNow, [new StoppedContainer(id, container)]));
        var volume = await _scope.CreateVolumeAsync("idle");
        var port = MetricsScrape.FreePort();
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(_scope.Name("idle"), "0 0 3 * * ?", _scope.Backups, volume))
                                                         + $"metrics: {{ listen: '127.0.0.1:{port}' }}\n");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var agent = Agent.RunWithAsync(new Dictionary<string, string?> { ["BACKUP_AGENT_STATE_DIR"] = state }, stop.Token, "run", "--config", config);
        var scrape = await WaitForAsync(agent, "a container counted as left stopped", async () =>
            await MetricsScrape.TakeAsync(_http, $"http://127.0.0.1:{port}/metrics") is var s && s["backupagent_containers_left_stopped"] == 1 ? s : null);
        await stop.CancelAsync();
        var result = await agent;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Container {container} did not start again", result.Stderr);
        Assert.Equal("gauge", scrape.Types["backupagent_containers_left_stopped"]);
    }

    [Fact]
    public async Task A_metrics_address_that_is_taken_stops_the_agent_with_one_line_naming_it()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var volume = await _scope.CreateVolumeAsync("taken");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(_scope.Name("taken"), "0 0 3 * * ?", _scope.Backups, volume))
                                                         + $"metrics: {{ listen: '127.0.0.1:{port}' }}\n");

        var result = await Agent.RunAsync("run", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"metrics.listen 127.0.0.1:{port}: cannot listen there:", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    private static void AssertTime(DateTimeOffset expected, double? seconds, MetricsScrape scrape)
    {
        Assert.True(seconds is not null, $"missing a timestamp:\n{scrape}");
        Assert.Equal(expected.ToUnixTimeMilliseconds() / 1000.0, seconds!.Value, 3);
    }

    private async Task<Answer> GetAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>Asks <paramref name="probe"/> until it gives a value (connection failures count as no value yet), or fails showing the agent's log.</summary>
    private static async Task<T> WaitForAsync<T>(Task<AgentResult> agent, string what, Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (agent.IsCompleted)
            {
                Assert.Fail($"the agent stopped while waiting for {what}:\n{await agent}");
            }

            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what} within 120 s");
            await Task.Delay(200);
        }
    }

    private sealed record Answer(HttpStatusCode Status, JsonElement Body);
}
