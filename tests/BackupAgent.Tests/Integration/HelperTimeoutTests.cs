using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>A helper that runs longer than --helper-timeout is killed, and its job fails saying so, leaving nothing behind.</summary>
public sealed class HelperTimeoutTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_whose_helper_runs_past_the_timeout_fails_naming_it_and_leaves_no_set_file_or_helper()
    {
        var volume = await _scope.CreateVolumeAsync("slow");
        // 200 GB of holes: tar reads them as zeros for minutes, so the helper is certainly still at work after 2 s.
        await TestScope.ShellInVolumeAsync(volume, "echo kept > /d/small; truncate -s 200G /d/sparse");
        var started = DateTime.UtcNow;

        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--helper-timeout", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the helper for backup of volume {volume}", result.Stderr);
        Assert.Contains("ran longer than the helper timeout (2 s) and was stopped", result.Stderr);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "the timeout did not stop the helper");
        Assert.DoesNotContain(volume, (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout);
        Assert.Empty(Directory.EnumerateFiles(_scope.Backups, "*", SearchOption.AllDirectories));
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "volume=" + volume)).Trim());
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task A_helper_timeout_that_is_not_whole_seconds_is_refused_with_exit_2(string value)
    {
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", _scope.Name("any"), "--helper-timeout", value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--helper-timeout '{value}' is not a whole number of seconds", result.Stderr);
        Assert.False(Directory.Exists(_scope.Backups));
    }
}
