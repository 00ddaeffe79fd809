using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// The two ways a helper's output reaches the agent: the FIFO (local engine, the default here) and Docker's attach
/// stream (remote engines; forced with BACKUP_AGENT_HELPER_OUTPUT=attach). Both behave alike, and the FIFO's
/// private run directory is left empty on every path.
/// </summary>
public sealed class HelperOutputTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private string RunDirectory => Path.Combine(_scope.Directory, "run");

    private Dictionary<string, string?> Environment(string output) => new()
    {
        ["BACKUP_AGENT_HELPER_OUTPUT"] = output,
        ["BACKUP_AGENT_RUN_DIR"] = RunDirectory,
    };

    private void AssertRunDirectoryEmpty() =>
        Assert.True(!Directory.Exists(RunDirectory) || !Directory.EnumerateFileSystemEntries(RunDirectory).Any(),
            $"left in {RunDirectory}: {string.Join(", ", Directory.Exists(RunDirectory) ? Directory.EnumerateFileSystemEntries(RunDirectory, "*", SearchOption.AllDirectories) : [])}");

    [Theory]
    [InlineData("auto", "a FIFO")]
    [InlineData("attach", "the attach stream")]
    public async Task Backup_and_restore_round_trip_through_either_output_path(string output, string path)
    {
        var source = await _scope.CreateVolumeAsync("out-" + output);
        await TestScope.ShellInVolumeAsync(source, "head -c 3000000 /dev/urandom > /d/noise; yes text | head -c 500000 > /d/text; mkdir -p /d/a/b");
        var before = await VolumeSnapshot.TakeAsync(source);
        var env = Environment(output);

        var backup = await Agent.SucceedWithAsync(env, "backup", "--to", _scope.Backups, "--volume", source, "--verbose");
        Assert.Contains($"its output comes through {path}", backup.Stderr);
        var target = _scope.Track(_scope.Name("out-restored-" + output));
        var restore = await Agent.SucceedWithAsync(env, "restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--verbose");
        Assert.Contains($"its input comes through {path}", restore.Stderr);
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
        AssertRunDirectoryEmpty();
    }

    [Theory]
    [InlineData("auto", false)]
    [InlineData("attach", true)]
    public async Task A_chain_round_trips_through_either_output_path_and_only_the_attach_stream_moves_its_snapshot_file_through_a_scratch_volume(string output, bool scratch)
    {
        var source = await _scope.CreateVolumeAsync("chain-" + output);
        await TestScope.ShellInVolumeAsync(source, "printf 'one\\n' > /d/one && mkdir -p /d/dir/sub && printf 'two\\n' > /d/dir/two");
        var env = Environment(output);
        var full = await Agent.SucceedWithAsync(env, "backup", "--to", _scope.Backups, "--volume", source, "--full", "--verbose");
        Assert.Contains("(full, level 0)", full.Stdout);
        await TestScope.ShellInVolumeAsync(source, "printf 'three\\n' > /d/dir/three && rm /d/one && mv /d/dir /d/moved");
        var level1 = await Agent.SucceedWithAsync(env, "backup", "--to", _scope.Backups, "--volume", source, "--incremental", "--verbose");
        Assert.Contains("(level 1 on ", level1.Stdout);
        await TestScope.ShellInVolumeAsync(source, "printf 'four\\n' >> /d/moved/two");
        var level2 = await Agent.SucceedWithAsync(env, "backup", "--to", _scope.Backups, "--volume", source, "--incremental", "--verbose");
        Assert.Contains("(level 2 on ", level2.Stdout);

        // The FIFO path hands the snapshot file to the one reading helper; the attach stream needs two more helpers.
        foreach (var run in new[] { full, level1, level2 })
        {
            Assert.Equal(scratch, run.Stderr.Contains("for snapshot file of", StringComparison.Ordinal));
        }

        var expected = await VolumeSnapshot.TakeAsync(source);
        var target = _scope.Track(_scope.Name("chain-restored-" + output));
        await Agent.SucceedWithAsync(env, "restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedWithAsync(env, "verify", "--from", _scope.Backups, "--deep");
        AssertRunDirectoryEmpty();
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("attach")]
    public async Task A_failing_restore_helper_reports_its_exit_code_and_stderr_on_either_path_without_hanging(string output)
    {
        var source = await _scope.CreateVolumeAsync("in-fail-" + output);
        await TestScope.ShellInVolumeAsync(source, "head -c 20000000 /dev/urandom > /d/noise");
        await Agent.SucceedWithAsync(Environment(output), "backup", "--to", _scope.Backups, "--volume", source);
        var image = await BrokenImageAsync("tar", "#!/bin/sh\\necho simulated tar failure >&2\\nexit 2\\n");
        var target = _scope.Track(_scope.Name("in-fail-target-" + output));

        var result = await Agent.RunWithAsync(Environment(output), "restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--helper-image", image)
            .WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"restoring '{source}' into '{target}': the helper container exited with code 2: simulated tar failure", result.Stderr);
        AssertRunDirectoryEmpty();
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("attach")]
    public async Task A_failing_helper_reports_its_exit_code_and_stderr_on_either_path(string output)
    {
        var image = await BrokenImageAsync("tar", "#!/bin/sh\\necho simulated tar failure >&2\\nexit 2\\n");
        var volume = await _scope.CreateVolumeAsync("out-fail-" + output);
        var result = await Agent.RunWithAsync(Environment(output), "backup", "--to", _scope.Backups, "--volume", volume, "--helper-image", image);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"reading volume '{volume}': the helper container exited with code 2: simulated tar failure", result.Stderr);
        AssertRunDirectoryEmpty();
    }

    [Fact]
    public async Task A_helper_that_dies_before_opening_the_fifo_does_not_hang_the_agent()
    {
        var image = await BrokenImageAsync("sh", "#!/bin/busybox sh\\necho no shell here >&2\\nexit 3\\n");
        var volume = await _scope.CreateVolumeAsync("out-noshell");
        var result = await Agent.RunWithAsync(Environment("auto"), "backup", "--to", _scope.Backups, "--volume", volume, "--helper-image", image)
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the helper container exited with code 3: no shell here", result.Stderr);
        AssertRunDirectoryEmpty();
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", $"volume={volume}")).Trim());
    }

    /// <summary>The helper image with /bin/PROGRAM replaced by a script.</summary>
    private async Task<string> BrokenImageAsync(string program, string script)
    {
        var image = $"backup-agent-broken-{program}:{_scope.Id}";
        var builder = _scope.Name("builder-" + program);
        await DockerCli.RunAsync("run", "--name", builder, "--log-driver", "none", DockerCli.HelperImage, "/bin/busybox", "sh", "-c",
            $"rm /bin/{program} && printf '{script}' > /bin/{program} && chmod 755 /bin/{program}");
        _scope.TrackImage(image);
        await DockerCli.RunAsync("commit", builder, image);
        await DockerCli.RunAsync("rm", builder);
        return image;
    }
}
