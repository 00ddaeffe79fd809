using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Exclusions (--exclude, the container label backup-agent.exclude): what the restored tree holds, and what the manifest records.</summary>
public sealed class ExcludeTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Directories_globs_names_with_spaces_and_a_pattern_that_matches_nothing_leave_out_exactly_what_they_match()
    {
        var source = await _scope.CreateVolumeAsync("exclude");
        await TestScope.ShellInVolumeAsync(source, """
            mkdir -p /d/cache/deep /d/sub/cache /d/logs '/d/my dir' '/d/sub/my dir' /d/keep
            echo a > /d/cache/deep/a; echo b > /d/sub/cache/b; echo l > /d/logs/app.log; echo t > /d/logs/app.txt
            echo l > /d/top.log; echo s > '/d/my dir/inside'; echo s > '/d/sub/my dir/inside'; echo k > /d/keep/file; echo k > '/d/keep/a log'
            """);
        string[] patterns = ["/cache", "*.log", "my dir", "nothing-matches-*", "--to-command=touch /tmp/pwned"];

        var dry = await Agent.SucceedAsync(["backup", "--to", _scope.Backups, "--volume", source, "--dry-run", .. patterns.Select(p => $"--exclude={p}")]);
        foreach (var pattern in patterns)
        {
            Assert.Contains($"    leave out {pattern}", dry.Stdout);
        }

        var backup = await Agent.SucceedAsync(["backup", "--to", _scope.Backups, "--volume", source, "--json", .. patterns.Select(p => $"--exclude={p}")]);
        var archive = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("archives")[0];
        Assert.Equal(patterns, archive.GetProperty("excludes").EnumerateArray().Select(p => p.GetString()));

        var target = _scope.Track(_scope.Name("exclude-restored"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        var restored = await VolumeSnapshot.TakeAsync(target);
        Assert.Equal(
            [".", "./keep", "./keep/a log", "./keep/file", "./logs", "./logs/app.txt", "./sub", "./sub/cache", "./sub/cache/b"],
            restored.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(archive.GetProperty("files").GetInt64(), restored.Entries.Count);
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--deep");
    }

    [Fact]
    public async Task A_containers_exclude_label_leaves_its_patterns_out_of_each_of_its_mounts()
    {
        var (data, other) = (await _scope.CreateVolumeAsync("label-data"), await _scope.CreateVolumeAsync("label-other"));
        await TestScope.ShellInVolumeAsync(data, "mkdir /d/scratch; echo x > /d/scratch/x; echo k > /d/keep; echo t > /d/a.tmp");
        await TestScope.ShellInVolumeAsync(other, "echo t > /d/b.tmp; echo o > /d/other");
        var app = await _scope.CreateContainerAsync("label-app", "--label", "backup-agent.exclude=*.tmp, /scratch", "-v", $"{data}:/data", "-v", $"{other}:/other");

        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--container", app, "--exclude", "nothing-here", "--json");
        var archives = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("archives").EnumerateArray().ToList();
        Assert.All(archives, a => Assert.Equal(["nothing-here", "*.tmp", "/scratch"], a.GetProperty("excludes").EnumerateArray().Select(p => p.GetString())));

        var (dataCopy, otherCopy) = (_scope.Track(_scope.Name("label-data-copy")), _scope.Track(_scope.Name("label-other-copy")));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{data}={dataCopy}", "--volume", $"{other}={otherCopy}");
        Assert.Equal([".", "./keep"], (await VolumeSnapshot.TakeAsync(dataCopy)).Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([".", "./other"], (await VolumeSnapshot.TakeAsync(otherCopy)).Entries.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_pattern_that_would_leave_out_the_whole_volume_is_refused_naming_it_before_anything_is_read()
    {
        var source = await _scope.CreateVolumeAsync("exclude-all");
        var refused = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", source, "--exclude", "/");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("backup-agent: backup failed: backup: exclude pattern '/' would leave out the whole source", refused.Stderr);
        Assert.DoesNotContain("   at ", refused.Stderr);
        Assert.False(Directory.Exists(_scope.Backups));
    }
}
