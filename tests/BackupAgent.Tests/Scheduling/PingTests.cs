using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>A job's monitoring pings (ping: start, success, failure), sent to a local monitor that can fail on purpose.</summary>
public sealed class PingTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_failure_ping_is_retried_through_a_dropped_connection_and_5xx_answers_until_it_arrives()
    {
        using var monitor = new WebhookRecorder(WebhookRecorder.Reset, 503, 502);
        var job = _scope.Name("alerting");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, "0 0 3 * * ?", _scope.Backups, _scope.Name("no-such-volume"))
            + $"    ping: {{ success: '{monitor.Base}uuid', failure: '{monitor.Base}uuid/fail' }}\n"));

        var result = await Agent.RunAsync("run", "--config", config, "--once", job);

        Assert.True(result.ExitCode == 2, result.ToString());
        var requests = monitor.Requests;
        Assert.True(requests.Count == 4, string.Join("\n", requests) + "\n" + result);
        Assert.All(requests, r => Assert.Equal(("GET", "/uuid/fail"), (r.Method, r.Path)));
        Assert.Equal([WebhookRecorder.Reset, 503, 502, 200], requests.Select(r => r.Answer));
        var runId = new RunHistory(Path.Combine(_scope.Directory, "state")).Last(job)!.RunId;
        Assert.Contains($"Notifying the failure ping of job {job} about run {runId} failed (", result.Stderr);
        Assert.Contains("); attempt 2 of 6 in ", result.Stderr);
        Assert.Contains($"Notifying the failure ping of job {job} about run {runId} failed (HTTP 503); attempt 3 of 6", result.Stderr);
        Assert.Contains($"Notifying the failure ping of job {job} about run {runId} failed (HTTP 502); attempt 4 of 6", result.Stderr);
        Assert.DoesNotContain("Could not notify", result.Stderr);
        Assert.DoesNotContain(monitor.Base, result.Stderr);
    }

    [Fact]
    public async Task A_successful_run_pings_start_then_success_and_a_monitor_that_refuses_never_fails_the_run()
    {
        using var monitor = new WebhookRecorder();
        var volume = await _scope.CreateVolumeAsync("pinged");
        var job = _scope.Name("pinged");
        var config = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, "0 0 3 * * ?", _scope.Backups, volume)
            + $"    ping: {{ start: '{monitor.Base}uuid/start', success: '{monitor.Base}uuid', failure: '{monitor.Base}uuid/fail' }}\n"));

        await Agent.SucceedAsync("run", "--config", config, "--once", job);

        Assert.Equal(["/uuid/start", "/uuid"], monitor.Requests.Select(r => r.Path));

        using var refusing = new WebhookRecorder(404);
        var refused = ConfigFile.Write(_scope.Directory, ConfigFile.Jobs(ConfigFile.Job(job, "0 0 3 * * ?", _scope.Backups, volume)
            + $"    ping: {{ success: '{refusing.Base}gone' }}\n"), "refused.yaml");
        var ok = await Agent.SucceedAsync("run", "--config", refused, "--once", job);
        Assert.Single(refusing.Requests);
        Assert.Contains($"Could not notify the success ping of job {job} about run", ok.Stderr);
        Assert.Contains("it answered 404; the run is not affected", ok.Stderr);
    }
}
