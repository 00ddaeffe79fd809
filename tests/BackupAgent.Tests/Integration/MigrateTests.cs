using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Moving the seed's data, and its containers, to a second real engine.</summary>
public sealed class MigrateTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _target = "";
    private string _dbdata = "";
    private string _db1 = "";
    private string _db2 = "";
    private string _db3 = "";
    private string _volume = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _target = DockerCli.SecondEngine;
        _dbdata = await _scope.CreateContainerAsync("dbdata", "-v", "/dbdata", "--label", "com.example.role=data");
        _db1 = await _scope.CreateContainerAsync("db1", "--volumes-from", _dbdata, "-e", "PGDATA=/dbdata/pg", "--restart", "unless-stopped");
        _db2 = await _scope.CreateContainerAsync("db2", "--volumes-from", _dbdata);
        _db3 = await _scope.CreateContainerAsync("db3", "--volumes-from", _db1);
        await TestScope.ShellAsync(["--volumes-from", _dbdata], "mkdir -p /dbdata/pg && echo rows > /dbdata/pg/t1 && chown -R 999:999 /dbdata/pg && chmod 700 /dbdata/pg && ln -s pg/t1 /dbdata/link");
        _volume = (await DockerCli.RunAsync("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", _dbdata)).Trim();
        foreach (var name in new[] { _dbdata, _db1, _db2, _db3 })
        {
            _scope.TrackOn(_target, "container", name);
        }

        _scope.TrackOn(_target, "volume", _volume);
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_dbdata_chain_moves_by_container_with_its_files_labels_and_container_definitions(bool viaDirectory)
    {
        var before = await VolumeSnapshot.TakeAsync(_volume);
        string[] via = viaDirectory ? ["--via", _scope.Backups] : [];
        var result = await Agent.SucceedAsync(["migrate", "--to-engine", _target, "--container", _db3, "--with-containers", "--json", "--state-dir", Path.Combine(_scope.Directory, "state"), .. via]);

        using var report = JsonDocument.Parse(result.Stdout);
        Assert.True(report.RootElement.GetProperty("ok").GetBoolean());
        var volume = Assert.Single(report.RootElement.GetProperty("volumes").EnumerateArray());
        Assert.True(volume.GetProperty("verified").GetBoolean());
        Assert.Equal(new[] { _dbdata, _db1, _db2, _db3 }.Order(), report.RootElement.GetProperty("containers").EnumerateArray().Select(c => c.GetString()!).Order());

        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(_volume, _target));
        Assert.Equal(await Inspect(null, _dbdata, "{{json .Config.Labels}}"), await Inspect(_target, _dbdata, "{{json .Config.Labels}}"));
        Assert.Equal($"[\"{_db1}\"]", await Inspect(_target, _db3, "{{json .HostConfig.VolumesFrom}}"));
        Assert.Equal("unless-stopped", await Inspect(_target, _db1, "{{.HostConfig.RestartPolicy.Name}}"));
        Assert.Contains("PGDATA=/dbdata/pg", await Inspect(_target, _db1, "{{json .Config.Env}}"));
        Assert.Equal("created", await Inspect(_target, _db3, "{{.State.Status}}"));

        // db3 on the target sees the data through its volumes-from chain, as on the source.
        var seen = await DockerCli.RunOnAsync(_target, "run", "--rm", "--log-driver", "none", "--volumes-from", _db3, DockerCli.HelperImage, "cat", "/dbdata/pg/t1");
        Assert.Equal("rows", seen.Trim());
        if (viaDirectory)
        {
            Assert.Contains(_volume, (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout);
        }
    }

    [Fact]
    public async Task A_non_empty_target_volume_is_refused_and_left_as_it_was()
    {
        await DockerCli.EnsureHelperImageOnAsync(_target);
        await DockerCli.RunOnAsync(_target, "volume", "create", _volume);
        await DockerCli.RunOnAsync(_target, "run", "--rm", "--log-driver", "none", "-v", $"{_volume}:/d", DockerCli.HelperImage, "sh", "-c", "echo precious > /d/keep");

        var result = await Agent.RunAsync("migrate", "--to-engine", _target, "--volume", _volume, "--state-dir", Path.Combine(_scope.Directory, "state"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"target '{_volume}' is not empty", result.Stderr);
        Assert.Equal("precious", (await DockerCli.RunOnAsync(_target, "run", "--rm", "--log-driver", "none", "-v", $"{_volume}:/d", DockerCli.HelperImage, "cat", "/d/keep")).Trim());
    }

    [Fact]
    public async Task A_dry_run_changes_nothing_and_a_cut_over_leaves_the_source_container_stopped()
    {
        var volume = await _scope.CreateVolumeAsync("cutover");
        _scope.TrackOn(_target, "volume", volume);
        await TestScope.ShellInVolumeAsync(volume, "echo live > /d/f");
        var app = await _scope.RunContainerAsync("cutover-app", ["-v", $"{volume}:/d"], "sleep 1000");
        var state = Path.Combine(_scope.Directory, "state");

        var dry = await Agent.SucceedAsync("migrate", "--to-engine", _target, "--volume", volume, "--stop", "--leave-stopped", "--dry-run", "--state-dir", state);
        Assert.Contains($"volume {volume} -> {volume} (created)", dry.Stdout);
        Assert.Equal("", (await DockerCli.RunOnAsync(_target, "volume", "ls", "-q", "--filter", $"name=^{volume}$")).Trim());
        Assert.True(await TestScope.IsRunningAsync(app));

        var cut = await Agent.SucceedAsync("migrate", "--to-engine", _target, "--volume", volume, "--stop", "--leave-stopped", "--json", "--state-dir", state);
        Assert.Equal(app, JsonDocument.Parse(cut.Stdout).RootElement.GetProperty("leftStopped")[0].GetString());
        Assert.False(await TestScope.IsRunningAsync(app));
        Assert.Contains("nothing to recover", (await Agent.SucceedAsync("recover", "--state-dir", state)).Stdout);
        Assert.False(await TestScope.IsRunningAsync(app));
        Assert.Equal("live", (await DockerCli.RunOnAsync(_target, "run", "--rm", "--log-driver", "none", "-v", $"{volume}:/d", DockerCli.HelperImage, "cat", "/d/f")).Trim());
    }

    [Fact]
    public async Task A_failed_post_backup_hook_fails_a_migration_that_is_complete_and_its_result_is_still_printed()
    {
        var volume = await _scope.CreateVolumeAsync("posthook");
        _scope.TrackOn(_target, "volume", volume);
        await TestScope.ShellInVolumeAsync(volume, "echo moved > /d/f");
        await _scope.RunContainerAsync("posthook-app", ["-v", $"{volume}:/d", "--label", "backup-agent.post-backup=exit 4"], "sleep 1000");

        var result = await Agent.RunAsync("migrate", "--to-engine", _target, "--volume", volume, "--json", "--state-dir", Path.Combine(_scope.Directory, "state"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the migration to {_target} is complete, but the post-backup hook in", result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.True(json.GetProperty("volumes")[0].GetProperty("verified").GetBoolean());
        Assert.Contains("exited with code 4", json.GetProperty("problems")[0].GetString());
        Assert.Equal("moved", (await DockerCli.RunOnAsync(_target, "run", "--rm", "--log-driver", "none", "-v", $"{volume}:/d", DockerCli.HelperImage, "cat", "/d/f")).Trim());
    }

    [Fact]
    public async Task An_unreachable_target_fails_before_anything_on_the_source_is_stopped()
    {
        var volume = await _scope.CreateVolumeAsync("unreach");
        var app = await _scope.RunContainerAsync("unreach-app", ["-v", $"{volume}:/d"], "sleep 1000");
        var started = await Inspect(null, app, "{{.State.StartedAt}}");

        var result = await Agent.RunAsync("migrate", "--to-engine", "unix:///tmp/no-such-engine.sock", "--volume", volume, "--stop", "--state-dir", Path.Combine(_scope.Directory, "state"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the Docker engine at unix:///tmp/no-such-engine.sock", result.Stderr);
        Assert.Equal(started, await Inspect(null, app, "{{.State.StartedAt}}"));
        Assert.True(await TestScope.IsRunningAsync(app));
    }

    [Fact]
    public async Task A_missing_image_is_named_before_anything_changes_and_copied_when_asked()
    {
        var image = $"backup-agent-test-app:{_scope.Id}";
        await DockerCli.RunAsync("tag", DockerCli.HelperImage, image);
        _scope.TrackImage(image);
        _scope.TrackOn(_target, "image", image);
        var volume = await _scope.CreateVolumeAsync("img", "com.docker.compose.project=shop");
        var app = _scope.Name("img-app");
        var network = _scope.Name("net");
        await DockerCli.RunAsync("network", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", network);
        await DockerCli.RunAsync("create", "--name", app, "--label", $"{TestScope.TestLabel}={_scope.Id}", "-v", $"{volume}:/d",
            "--network", network, "-p", "127.0.0.1:18080:80", image, "sleep", "1000");
        _scope.TrackOn(_target, "container", app);
        _scope.TrackOn(_target, "volume", volume);
        _scope.TrackOn(_target, "network", network);
        _scope.TrackOn(null, "container", app);
        _scope.TrackOn(null, "network", network);

        var refused = await Agent.RunAsync("migrate", "--to-engine", _target, "--volume", volume, "--with-containers", "--state-dir", Path.Combine(_scope.Directory, "state"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"the image '{image}' is not on {_target}", refused.Stderr);
        Assert.Contains("--copy-images", refused.Stderr);
        Assert.Equal("", (await DockerCli.RunOnAsync(_target, "volume", "ls", "-q", "--filter", $"name=^{volume}$")).Trim());

        await Agent.SucceedAsync("migrate", "--to-engine", _target, "--volume", volume, "--with-containers", "--copy-images", "--start", "--state-dir", Path.Combine(_scope.Directory, "state"));
        Assert.Equal(image, await Inspect(_target, app, "{{.Config.Image}}"));
        Assert.Equal("running", await Inspect(_target, app, "{{.State.Status}}"));
        Assert.Equal("127.0.0.1:18080", await Inspect(_target, app, "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}}:{{.HostPort}}{{end}}{{end}}"));
        Assert.Contains(network, await Inspect(_target, app, "{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{end}}"));
        Assert.Equal("shop", (await DockerCli.RunOnAsync(_target, "volume", "inspect", "-f", "{{index .Labels \"com.docker.compose.project\"}}", volume)).Trim());
    }

    private static async Task<string> Inspect(string? host, string container, string format) =>
        (host is null ? await DockerCli.RunAsync("inspect", "-f", format, container) : await DockerCli.RunOnAsync(host, "inspect", "-f", format, container)).Trim();
}
