using System.Text.Json;
using BackupAgent.Core.Sets;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>
/// Engines by name (engines: in the configuration, engine: NAME on a job): the job's hooks, --stop, label discovery,
/// and a restore all happen on the named engine, and volumes of the same name on the agent's own engine are left alone.
/// </summary>
public sealed class NamedEngineTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private string State => Path.Combine(_scope.Directory, "state");

    /// <summary>A cron (UTC) that fires once, 10 s from now: one run, so that stopping the agent never cancels a second one mid-stop.</summary>
    private static string OnceSoon()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(10);
        return $"{at.Second} {at.Minute} {at.Hour} * * ?";
    }

    [Fact]
    public async Task A_scheduled_job_on_a_named_engine_runs_its_hook_stops_its_app_joins_labelled_containers_and_restores_there()
    {
        var second = DockerCli.SecondEngine;
        var (volume, app) = await _scope.CreateAppOnAsync(second, "named", "echo on-engine2 > /d/f");
        var job = _scope.Name("named");

        // A volume of the same name on the agent's own engine: the job must never read or touch it.
        await DockerCli.RunAsync("volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", volume);
        _scope.Track(volume);
        await TestScope.ShellInVolumeAsync(volume, "echo on-engine1 > /d/f");
        var before = await VolumeSnapshot.TakeAsync(volume);

        // A container on the named engine that joins the job by its labels.
        var joinedVolume = _scope.Name("joined");
        _scope.TrackOn(second, "volume", joinedVolume);
        var joiner = _scope.Name("joiner");
        _scope.TrackOn(second, "container", joiner);
        await DockerCli.RunOnAsync(second, "run", "--rm", "--log-driver", "none", "--network", "none", "-v", $"{joinedVolume}:/d", DockerCli.HelperImage, "sh", "-c", "echo joined > /d/j");
        await DockerCli.RunOnAsync(second, "create", "--name", joiner, "--label", $"{TestScope.TestLabel}={_scope.Id}", "--label", "backup-agent.enable=true",
            "--label", $"backup-agent.job={job}", "--log-driver", "none", "--network", "none", "-v", $"{joinedVolume}:/d", DockerCli.HelperImage, "true");

        var config = ConfigFile.Write(_scope.Directory, $$"""
            state: {{State}}
            logging: { level: Debug }
            engines:
              second: { host: "{{second}}" }
            jobs:
              - name: {{job}}
                engine: second
                cron: "{{OnceSoon()}}"
                timeZone: UTC
                destination: {{_scope.Backups}}
                compression: gzip
                stop: true
                catchUp: false
                hooks:
                  - container: {{app}}
                    pre: echo hooked > /d/hook
                sources: { volumes: [{{volume}}] }
            """);

        using var stop = new CancellationTokenSource();
        var agent = Agent.RunAsync(stop.Token, "run", "--config", config);
        await Poll.UntilAsync(
            () => Task.FromResult(agent.IsCompleted || new RunHistory(State).Runs(job).Any(r => r.Outcome == RunOutcome.Succeeded)),
            "the job on the named engine never succeeded");
        await stop.CancelAsync();
        var result = await agent;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("its output comes through a FIFO", result.Stderr);

        var run = new RunHistory(State).Runs(job).First(r => r.Outcome == RunOutcome.Succeeded);
        Assert.Equal(2, run.Sets.Count);
        Assert.Contains(run.Downtimes, d => d.StartsWith(app + " ", StringComparison.Ordinal));
        Assert.True((await DockerCli.RunOnAsync(second, "inspect", "-f", "{{.State.Running}}", app)).Trim() == "true", "the app on the named engine is not running again");

        var list = await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json");
        var sets = JsonSerializer.Deserialize<List<BackupSet>>(list.Stdout, BackupCatalog.Json)!.Where(s => run.Sets.Contains(s.Id)).ToList();
        Assert.Contains(sets, s => s.Archives.Any(a => a.Volume == joinedVolume));

        // Restored on the named engine, by name: the hook's file and the volume's file come back there.
        var restored = _scope.Name("restored");
        _scope.TrackOn(second, "volume", restored);
        var volumeSet = sets.Single(s => s.Archives.Any(a => a.Volume == volume));
        await Agent.SucceedAsync("restore", "--config", config, "--engine", "second", "--from", _scope.Backups, "--backup", volumeSet.Id, "--volume", $"{volume}={restored}", "--state-dir", State);
        var files = await DockerCli.RunOnAsync(second, "run", "--rm", "--log-driver", "none", "--network", "none", "-v", $"{restored}:/d", DockerCli.HelperImage, "sh", "-c", "cat /d/f /d/hook");
        Assert.Equal("on-engine2\nhooked\n", files);

        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(volume));
        var unknown = await Agent.RunAsync("restore", "--config", config, "--engine", "third", "--from", _scope.Backups, "--volume", $"{volume}={restored}", "--state-dir", State);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown engine 'third' (engines: second)", unknown.Stderr);
        Assert.Single(unknown.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_scheduled_job_on_a_named_tls_engine_backs_up_its_volume_through_the_attach_stream()
    {
        var dir = Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_ENGINE2_DIR") is { Length: > 0 } d
            ? d
            : throw new InvalidOperationException("BACKUP_AGENT_TEST_ENGINE2_DIR is not set: run the tests with install/test");
        var (volume, app) = await _scope.CreateAppOnAsync(DockerCli.SecondEngine, "tls", "head -c 300000 /dev/urandom > /d/blob; echo over-tls > /d/f");
        var job = _scope.Name("tls");
        var config = ConfigFile.Write(_scope.Directory, $$"""
            state: {{State}}
            logging: { level: Debug }
            engines:
              web1: { host: "tcp://127.0.0.1:2376", certPath: {{Path.Combine(dir, "tls")}} }
            jobs:
              - name: {{job}}
                engine: web1
                cron: "{{OnceSoon()}}"
                timeZone: UTC
                destination: {{_scope.Backups}}
                stop: true
                catchUp: false
                sources: { volumes: [{{volume}}] }
            """);

        // The second engine listens with TLS inside its own network namespace: the agent runs there.
        var pid = (await File.ReadAllTextAsync(Path.Combine(dir, "pid"))).Trim();
        await using (var agent = AgentProcess.StartIn(["nsenter", $"--net=/proc/{pid}/ns/net"], "run", "--config", config))
        {
            await agent.WaitForLogAsync($"Job {job} succeeded", seconds: 90);
            await HostCommand.RunAsync("kill", "-TERM", agent.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var (code, stderr) = await agent.WaitAsync();
            Assert.True(code == 0, stderr);
            Assert.Contains("its output comes through the attach stream", stderr);
        }

        var run = new RunHistory(State).Runs(job).First(r => r.Outcome == RunOutcome.Succeeded);
        Assert.Contains(run.Downtimes, x => x.StartsWith(app + " ", StringComparison.Ordinal));
        Assert.True((await DockerCli.RunOnAsync(DockerCli.SecondEngine, "inspect", "-f", "{{.State.Running}}", app)).Trim() == "true", "the app is not running again");
        var verify = await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--backup", run.Sets.Single());
        Assert.Contains($"{volume}: ok", verify.Stdout);
    }
}
