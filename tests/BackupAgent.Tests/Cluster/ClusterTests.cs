using System.Globalization;
using System.Net;
using System.Text.Json;
using BackupAgent.Core.Sets;
using BackupAgent.Tests.Scheduling;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Cluster;

/// <summary>
/// Cluster mode with real agent processes on a real PostgreSQL: Quartz's clustered store runs each fire time once
/// across the nodes, the fleet's history says which node ran what, and a node with another configuration is flagged.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private ClusterDatabaseScope _database = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _database = await ClusterDatabaseScope.CreateAsync(_scope.Id);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task Three_nodes_on_a_five_second_cron_run_every_fire_time_once_through_a_postgres_restart_and_a_node_with_another_configuration_is_flagged()
    {
        var volume = await _scope.CreateVolumeAsync("fleet");
        await TestScope.ShellInVolumeAsync(volume, "echo fleet > /d/f");
        var job = _scope.Name("fleet");
        var nodes = new List<AgentProcess>();
        try
        {
            foreach (var node in new[] { "n1", "n2", "n3" })
            {
                nodes.Add(AgentProcess.Start("run", "--config", Config(node, job, volume, "0/5 * * * * ?")));
            }

            foreach (var node in nodes)
            {
                await node.WaitForLogAsync("joined with configuration", seconds: 90);
            }

            // A minute of fires, the nodes taking them as Quartz's clustered store hands them out; PostgreSQL restarts
            // halfway, and the nodes reconnect with no fire time run twice or lost and no run missing from the history.
            await Task.Delay(TimeSpan.FromSeconds(30));
            await ClusterDatabaseScope.RestartServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(30));

            var port = MetricsScrape.FreePort();
            var odd = AgentProcess.Start("run", "--config", Config("n4", job, volume, "0/7 * * * * ?", $"metrics: {{ listen: 127.0.0.1:{port} }}"));
            nodes.Add(odd);
            await odd.WaitForLogAsync("differs from the cluster's", seconds: 90);
            using var http = new HttpClient();
            var (status, body) = await ReadyAsync(http, $"http://127.0.0.1:{port}/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("differs from the cluster", body);

            var fleet = await Agent.SucceedAsync("status", "--config", Config("n1", job, volume, "0/5 * * * * ?"), "--json");
            using var json = JsonDocument.Parse(fleet.Stdout);
            var listed = json.RootElement.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("node").GetString()!, n => n);
            Assert.Equal(new[] { "n1", "n2", "n3", "n4" }, listed.Keys.Order());
            Assert.Contains("differs", listed["n4"].GetProperty("problem").GetString());
            Assert.False(listed["n1"].TryGetProperty("problem", out var none) && none.ValueKind != JsonValueKind.Null);
            var last = json.RootElement.GetProperty("jobs")[0].GetProperty("lastRun");
            Assert.StartsWith("n", last.GetProperty("node").GetString());
            Assert.True(json.RootElement.GetProperty("runs").GetArrayLength() > 0, fleet.Stdout);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await HostCommand.RunAsync("kill", "-TERM", node.Pid.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var node in nodes)
            {
                var (code, stderr) = await node.WaitAsync();
                Assert.True(code == 0, stderr);
                await node.DisposeAsync();
            }
        }

        // Every fire time ran once, on one node, and none between the first and the last was skipped.
        var fires = await _database.QueryAsync(
            $"select fire_time, count(*), string_agg(outcome, ','), string_agg(node, ',') from backup_agent_runs where job = '{job}' and trigger = 'schedule' group by fire_time order by fire_time");
        Assert.True(fires.Count >= 6, $"only {fires.Count} fire times ran in a minute");
        Assert.All(fires, f => Assert.True((long)f[1]! == 1, $"fire time {f[0]} ran {f[1]} times, on {f[3]}"));
        // The agents were stopped (SIGTERM) at some moment: a run going on then is cancelled, and only the last can be.
        Assert.All(fires.SkipLast(1), f => Assert.Equal("succeeded", f[2]));
        Assert.Contains((string)fires[^1][2]!, new[] { "succeeded", "cancelled" });
        Assert.All(fires, f => Assert.Contains((string)f[3]!, new[] { "n1", "n2", "n3" }));
        var times = fires.Select(f => (DateTime)f[0]!).ToList();
        for (var i = 1; i < times.Count; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(5), times[i] - times[i - 1]);
        }

        // One set per run, each run's own.
        var runs = await _database.QueryAsync($"select sets from backup_agent_runs where job = '{job}' and outcome = 'succeeded'");
        var runSets = runs.SelectMany(r => JsonSerializer.Deserialize<List<string>>((string)r[0]!)!).ToList();
        var list = await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json");
        var sets = JsonSerializer.Deserialize<List<BackupSet>>(list.Stdout, BackupCatalog.Json)!;
        Assert.Equal(runs.Count, sets.Count);
        Assert.Equal(sets.Select(s => s.Id).Order(), runSets.Order());
    }

    [Fact]
    public async Task A_node_killed_mid_run_leaves_its_run_abandoned_and_another_node_runs_the_job_again_with_one_set_listed()
    {
        var volume = await _scope.CreateVolumeAsync("failover");
        await TestScope.ShellInVolumeAsync(volume, "echo failover > /d/f");
        var app = await _scope.RunContainerAsync("failover-app", ["-v", $"{volume}:/d"], "while true; do sleep 1; done");
        var job = _scope.Name("failover");
        var fire = DateTimeOffset.UtcNow.AddSeconds(12);
        var cron = $"{fire.Second} {fire.Minute} {fire.Hour} * * ?";
        var hooks = $"    hooks: [{{ container: {app}, pre: \"sleep 12; echo hooked > /d/hook\" }}]";
        var nodes = new Dictionary<string, AgentProcess>();
        try
        {
            foreach (var node in new[] { "n1", "n2" })
            {
                nodes[node] = AgentProcess.Start("run", "--config", Config(node, job, volume, cron, jobExtra: hooks));
            }

            foreach (var node in nodes.Values)
            {
                await node.WaitForLogAsync("joined with configuration", seconds: 90);
            }

            List<object?[]> running = [];
            await Poll.UntilAsync(async () => (running = await _database.QueryAsync($"select node, run_id from backup_agent_runs where job = '{job}' and outcome = 'running'")).Count > 0,
                "the job never started on a node", seconds: 90);
            var (victim, killedRun) = ((string)running[0][0]!, (string)running[0][1]!);
            nodes[victim].Kill();
            await nodes[victim].WaitAsync();
            var survivor = nodes.Keys.Single(n => n != victim);

            await Poll.UntilAsync(async () => (await _database.QueryAsync(
                    $"select 1 from backup_agent_runs where job = '{job}' and node = '{survivor}' and outcome = 'succeeded'")).Count == 1,
                $"node {survivor} did not run the job of the killed node {victim} again", seconds: 90);
            await Poll.UntilAsync(async () => (await _database.QueryAsync(
                    $"select 1 from backup_agent_runs where run_id = '{killedRun}' and outcome = 'abandoned'")).Count == 1,
                $"the run {killedRun} of the killed node was not marked abandoned", seconds: 60);
        }
        finally
        {
            foreach (var node in nodes.Values)
            {
                await node.DisposeAsync();
            }
        }

        var recovered = await _database.QueryAsync($"select sets from backup_agent_runs where job = '{job}' and outcome = 'succeeded'");
        var list = await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json");
        var sets = JsonSerializer.Deserialize<List<BackupSet>>(list.Stdout, BackupCatalog.Json)!;
        Assert.Equal(JsonSerializer.Deserialize<List<string>>((string)recovered.Single()[0]!), sets.Select(s => s.Id).ToList());
    }

    private string Config(string node, string job, string volume, string cron, string extra = "", string jobExtra = "") => ConfigFile.Write(Path.Combine(_scope.Directory, node), $$"""
        state: {{Path.Combine(_scope.Directory, node, "state")}}
        logging: { level: Information }
        cluster:
          postgres: "{{_database.ConnectionString}}"
          nodeName: {{node}}
          checkinIntervalSeconds: 2
          checkinMisfireThresholdSeconds: 3
        {{extra}}
        jobs:
          - name: {{job}}
            cron: "{{cron}}"
            timeZone: UTC
            destination: {{_scope.Backups}}
            compression: gzip
            sources: { volumes: [{{volume}}] }
        {{jobExtra}}
        """);

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(HttpClient http, string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
