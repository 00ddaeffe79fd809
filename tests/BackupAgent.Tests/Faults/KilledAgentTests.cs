using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// SIGKILL of the agent at several points of a backup and of a restore. Promised: no partial set is ever listed,
/// whatever was stopped runs again after the next run, no helper is left behind, the earlier backups stay intact,
/// and the next run works.
/// </summary>
public sealed class KilledAgentTests : IAsyncLifetime
{
    /// <summary>The exit code of a process killed by SIGKILL (128 + 9).</summary>
    private const int KilledBySigkill = 137;

    /// <summary>Where the agent (root) makes its helpers' FIFO directories, named by its PID.</summary>
    private const string RunRoot = "/run/backup-agent";

    private TestScope _scope = null!;
    private string _state = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _state = Path.Combine(_scope.Directory, "state");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    public static TheoryData<string> BackupPoints => ["while-stopped", "mid-stream", "between-archives", "in-post-hook"];

    public static TheoryData<string> RestorePoints => ["before-unpacking", "mid-unpack"];

    [Theory]
    [MemberData(nameof(BackupPoints))]
    public async Task A_backup_killed_lists_no_partial_set_and_the_next_run_restarts_the_app_and_backs_up_everything(string point)
    {
        var (app, volumes) = await AppWithDataAsync(point, point == "in-post-hook" ? "sleep 8" : null);
        var before = await SnapshotsAsync(volumes);
        var baseline = await BackupAsync(volumes);
        bool killed;

        await using (var agent = AgentProcess.Start(["backup", "--to", _scope.Backups, .. VolumeArgs(volumes), "--stop", "--compression", "none", "--state-dir", _state]))
        {
            switch (point)
            {
                case "while-stopped":
                    await agent.WaitForLogAsync($"Stopping container {app}");
                    await Poll.UntilAsync(async () => !await TestScope.IsRunningAsync(app), "the app never stopped");
                    break;
                case "mid-stream":
                    await agent.WaitForLogAsync($"Reading Volume {volumes[0]}");
                    await Poll.ArchiveGrowsAsync(_scope.Backups, baseline);
                    break;
                case "between-archives":
                    await agent.WaitForLogAsync($"Reading Volume {volumes[1]}");
                    break;
                default:
                    await agent.WaitForLogAsync("Running the post-backup hook");
                    break;
            }

            agent.Kill();
            killed = (await agent.WaitAsync()).ExitCode == KilledBySigkill;
        }

        var listed = await ListedSetsAsync();
        Assert.Equal(point == "in-post-hook" ? 2 : 1, listed.Count);
        foreach (var set in listed)
        {
            await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--backup", set);
        }

        var next = await Agent.RunAsync(["backup", "--to", _scope.Backups, .. VolumeArgs(volumes), "--stop", "--compression", "none", "--state-dir", _state, "--json"]);
        var recovered = next.ExitCode == 0 && await TestScope.IsRunningAsync(app);
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", "volume=" + volumes[0])).Trim());
        var lost = await BytesLostAsync(baseline, volumes, before) + (next.ExitCode == 0 ? await BytesLostAsync(LatestId(next), volumes, before) : 1);
        FaultLedger.Settle($"SIGKILL of a backup {point}", killed ? 1 : 0, recovered, lost);
    }

    [Theory]
    [MemberData(nameof(RestorePoints))]
    public async Task A_restore_killed_leaves_the_target_as_it_was_after_recovery_and_the_next_restore_completes_and_restarts_the_app(string point)
    {
        var (_, volumes) = await AppWithDataAsync(point, null);
        var before = await SnapshotsAsync(volumes);
        var baseline = await BackupAsync(volumes);
        var target = _scope.Track(_scope.Name("killed-target"));
        await DockerCli.RunAsync("volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", target);
        await TestScope.ShellInVolumeAsync(target, "echo old > /d/old");
        var user = await _scope.RunContainerAsync("target-user", ["-v", $"{target}:/data"], "while true; do sleep 1; done");
        var old = await VolumeSnapshot.TakeAsync(target);
        string[] restore = ["restore", "--from", _scope.Backups, "--volume", $"{volumes[0]}={target}", "--force", "--state-dir", _state];

        bool killed;
        int pid;
        await using (var agent = AgentProcess.Start([.. restore, "--verbose"]))
        {
            pid = agent.Pid;
            if (point == "before-unpacking")
            {
                await agent.WaitForLogAsync("Restoring 1 archive(s) of set");
            }
            else
            {
                // Once the unpacking helper runs, wait until the agent has fed it 8 MB more.
                await agent.WaitForLogAsync($"for restore of {volumes[0]} into {target}; its input comes through");
                await agent.WhenWrittenAsync(8 << 20, "the restore never fed its helper");
            }

            agent.Kill();
            killed = (await agent.WaitAsync()).ExitCode == KilledBySigkill;
        }

        // Stage, verify, swap: a restore killed before its swap leaves the old contents, file by file, once recovered.
        var recover = await Agent.RunAsync("recover", "--state-dir", _state);
        Assert.True(recover.ExitCode == 0, recover.ToString());
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target));

        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--backup", baseline);
        var next = await Agent.RunAsync(restore);
        var recovered = next.ExitCode == 0 && await TestScope.IsRunningAsync(user);
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", "volume=" + target)).Trim());
        Assert.DoesNotContain(Directory.Exists(RunRoot) ? Directory.EnumerateDirectories(RunRoot) : [], d => Path.GetFileName(d).Contains($"-{pid}-", StringComparison.Ordinal));
        var lost = VolumeSnapshot.BytesLost(before[0], next.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(target) : null)
            + await BytesLostAsync(baseline, volumes, before);
        FaultLedger.Settle($"SIGKILL of a restore {point}", killed ? 1 : 0, recovered, lost);
    }

    /// <summary>An app container using two volumes of random data (stopped by --stop), with an optional post-backup hook.</summary>
    private async Task<(string App, string[] Volumes)> AppWithDataAsync(string stem, string? postHook)
    {
        var first = await _scope.CreateVolumeAsync($"{stem}-a");
        var second = await _scope.CreateVolumeAsync($"{stem}-b");
        await TestScope.ShellInVolumeAsync(first, "head -c 64000000 /dev/urandom > /d/big; mkdir /d/dir; echo small > /d/dir/small; chown -R 70:70 /d/dir");
        await TestScope.ShellInVolumeAsync(second, "head -c 48000000 /dev/urandom > /d/big; echo second > /d/second");
        string[] hook = postHook is null ? [] : ["--label", $"backup-agent.post-backup={postHook}"];
        var app = await _scope.RunContainerAsync($"{stem}-app", ["-v", $"{first}:/a", "-v", $"{second}:/b", .. hook], "while true; do sleep 1; done");
        return (app, [first, second]);
    }

    private static string[] VolumeArgs(string[] volumes) => volumes.SelectMany(v => new[] { "--volume", v }).ToArray();

    private async Task<string> BackupAsync(string[] volumes)
    {
        var result = await Agent.SucceedAsync(["backup", "--to", _scope.Backups, .. VolumeArgs(volumes), "--compression", "none", "--state-dir", _state, "--json"]);
        return LatestId(result);
    }

    private static string LatestId(AgentResult backup) =>
        System.Text.Json.JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;

    private async Task<List<string>> ListedSetsAsync() =>
        (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();

    private static async Task<VolumeSnapshot[]> SnapshotsAsync(string[] volumes) =>
        await Task.WhenAll(volumes.Select(v => VolumeSnapshot.TakeAsync(v)));

    /// <summary>Restores set <paramref name="id"/> into fresh volumes and counts the bytes that differ from <paramref name="expected"/>.</summary>
    private async Task<long> BytesLostAsync(string id, string[] volumes, VolumeSnapshot[] expected)
    {
        long lost = 0;
        for (var i = 0; i < volumes.Length; i++)
        {
            var copy = _scope.Track(_scope.Name($"check-{Guid.NewGuid():N}"[..20]));
            var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"{volumes[i]}={copy}", "--no-stop");
            lost += VolumeSnapshot.BytesLost(expected[i], restore.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(copy) : null);
        }

        return lost;
    }
}
