using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>--container backs up every mount the container sees: named volumes, nested ones and bind mounts.</summary>
[Collection(AloneCollection.Name)]
public sealed class ContainerMountsTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Named_nested_and_bind_mounts_each_get_an_archive_and_file_binds_are_skipped_with_a_warning()
    {
        var outer = await _scope.CreateVolumeAsync("outer");
        var inner = await _scope.CreateVolumeAsync("inner");
        var bind = Directory.CreateDirectory(Path.Combine(_scope.Directory, "conf")).FullName;
        await File.WriteAllTextAsync(Path.Combine(bind, "app.conf"), "port=80\n");
        var single = Path.Combine(_scope.Directory, "single-file");
        await File.WriteAllTextAsync(single, "x");
        var app = await _scope.CreateContainerAsync("app", "-v", $"{outer}:/data", "-v", $"{inner}:/data/sub", "-v", $"{bind}:/etc/app", "-v", $"{single}:/etc/single");
        await TestScope.ShellAsync(["--volumes-from", app], "echo outer > /data/o.txt; echo inner > /data/sub/i.txt");

        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--container", app, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        var archives = json.RootElement.GetProperty("archives").EnumerateArray()
            .ToDictionary(a => a.GetProperty("mountPath").GetString()!, a => (Volume: a.GetProperty("volume").GetString(), Kind: a.GetProperty("kind").GetString()));
        Assert.Equal(["/data", "/data/sub", "/etc/app"], archives.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((outer, "volume"), archives["/data"]);
        Assert.Equal((inner, "volume"), archives["/data/sub"]);
        Assert.Equal((bind, "bind"), archives["/etc/app"]);
        Assert.Contains("Skipping", backup.Stderr);
        Assert.Contains("/etc/single", backup.Stderr);

        var outerCopy = _scope.Track(_scope.Name("outer-copy"));
        var confCopy = _scope.Track(_scope.Name("conf-copy"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"/data={outerCopy}", "--volume", $"{bind}={confCopy}");

        // The outer volume's archive does not swallow the nested volume's files (Docker recreates the mount point).
        Assert.Equal("./o.txt", string.Join(' ', (await VolumeSnapshot.TakeAsync(outerCopy)).Entries.Keys.Where(k => k != ".").Order(StringComparer.Ordinal)));
        Assert.Equal("port=80", (await TestScope.ShellInVolumeAsync(confCopy, "cat /d/app.conf")).Trim());

        // A bind mount restored to its own host path, after the data there was lost.
        File.Delete(Path.Combine(bind, "app.conf"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", bind);
        Assert.Equal("port=80\n", await File.ReadAllTextAsync(Path.Combine(bind, "app.conf")));
    }

    [Fact]
    public async Task Helpers_left_behind_by_a_dead_agent_are_removed_at_the_next_start_and_others_are_not()
    {
        var dead = _scope.Name("leftover");
        var alive = _scope.Name("other-agent");
        var running = _scope.Name("running-agent");
        var stat = await File.ReadAllTextAsync($"/proc/{Environment.ProcessId}/stat");
        var startTime = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        foreach (var (name, owner) in new[]
        {
            (dead, $"{Environment.MachineName}:4194000:1"),
            (alive, "another-host:1:1"),
            (running, $"{Environment.MachineName}:{Environment.ProcessId}:{startTime}"),
        })
        {
            await DockerCli.RunAsync("create", "--name", name, "--label", "backup-agent.helper=true", "--label", $"backup-agent.owner={owner}",
                "--label", $"{TestScope.TestLabel}={_scope.Id}", DockerCli.HelperImage);
        }

        try
        {
            var volume = await _scope.CreateVolumeAsync("sweep");
            // Any agent starting on this engine may sweep the leftover first (tests run in parallel): check what remains.
            await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
            var remaining = await DockerCli.RunAsync("ps", "-a", "--format", "{{.Names}}", "--filter", $"label={TestScope.TestLabel}={_scope.Id}");
            Assert.DoesNotContain(dead, remaining);
            Assert.Contains(alive, remaining);
            Assert.Contains(running, remaining);
        }
        finally
        {
            await DockerCli.RunAsync("rm", "-f", alive, dead, running).ContinueWith(_ => { });
        }
    }
}
