using System.Text.Json;
using System.Text.RegularExpressions;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>What a user sees of a long run's progress: the plain log lines of a backup, a restore and a verify of a 256 MiB volume, and the JSON status lines of --json.</summary>
public sealed partial class ProgressTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_restore_and_verify_of_a_256_MiB_volume_log_their_progress_at_every_5_percent_up_to_100_percent()
    {
        var source = await _scope.CreateVolumeAsync("progress");
        await TestScope.ShellInVolumeAsync(source, "head -c 16777216 /dev/urandom > /d/noise; head -c 134217728 /dev/zero > /d/a; mkdir /d/dir; head -c 117440512 /dev/zero > /d/dir/b");

        // The first backup of the volume: its total is what du counts in a read-only helper.
        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--progress", "plain", "--json");
        AssertLines(backup, "backup", source, "256.0 MiB");
        using (var set = JsonDocument.Parse(backup.Stdout))
        {
            Assert.Equal(source, set.RootElement.GetProperty("archives")[0].GetProperty("volume").GetString());
        }

        var target = _scope.Track(_scope.Name("progress-restored"));
        AssertLines(await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--progress", "plain"), "restore", source, "256.0 MiB");
        AssertLines(await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--progress", "plain"), "verify", source, "256.0 MiB");
        var none = await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--progress", "none");
        Assert.DoesNotContain("% done", none.Stderr);
    }

    [Fact]
    public async Task With_json_a_backup_writes_status_lines_to_stderr_of_the_total_its_last_backup_read_and_keeps_its_result_on_stdout()
    {
        var source = await _scope.CreateVolumeAsync("progress-json");
        await TestScope.ShellInVolumeAsync(source, "head -c 67108864 /dev/zero > /d/a; head -c 1048576 /dev/urandom > /d/b");
        var first = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--json");
        long tarBytes;
        using (var set = JsonDocument.Parse(first.Stdout))
        {
            tarBytes = set.RootElement.GetProperty("archives")[0].GetProperty("tarBytes").GetInt64();
        }

        var second = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--json");
        using var result = JsonDocument.Parse(second.Stdout);
        Assert.Equal(tarBytes, result.RootElement.GetProperty("archives")[0].GetProperty("tarBytes").GetInt64());
        var events = second.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var status = events.Where(e => e.GetProperty("message_type").GetString() == "status").ToList();
        Assert.True(status.Count >= 5, second.ToString());
        Assert.All(status, e =>
        {
            Assert.Equal("backup", e.GetProperty("operation").GetString());
            Assert.Equal(source, e.GetProperty("current_volume").GetString());
            Assert.Equal(tarBytes, e.GetProperty("total_bytes").GetInt64());
        });
        var done = status.Select(e => e.GetProperty("bytes_done").GetInt64()).ToList();
        Assert.Equal(done.Order(), done);
        var summary = events[^1];
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal(tarBytes, summary.GetProperty("bytes_done").GetInt64());
    }

    [Fact]
    public async Task A_migration_logs_its_progress_of_the_size_du_counts_up_to_100_percent()
    {
        var source = await _scope.CreateVolumeAsync("progress-migrate");
        await TestScope.ShellInVolumeAsync(source, "head -c 67108864 /dev/zero > /d/a");
        var copy = _scope.Track(_scope.Name("progress-copy"));

        // The local engine by another name (as MigrateSameEngineTests): the copy goes into another volume.
        var result = await Agent.SucceedAsync("migrate", "--to-engine", "unix:///run/docker.sock", "--volume", $"{source}={copy}", "--progress", "plain");
        AssertLines(result, "migrate", source, "64.0 MiB");
    }

    [Theory]
    [InlineData("backup", "--to")]
    [InlineData("restore", "--from")]
    [InlineData("verify", "--from")]
    public async Task A_progress_mode_it_does_not_know_exits_2_naming_it_before_anything_is_opened(string command, string store)
    {
        var result = await Agent.RunAsync(command, store, _scope.Backups, "--progress", "fast");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--progress 'fast' is not one of auto, tty, plain, none", result.Stderr);
        UntrustedStoreTests.AssertOneLine(result);
        Assert.False(Directory.Exists(_scope.Backups));
    }

    /// <summary>At least five lines of <paramref name="operation"/> on <paramref name="volume"/>, of <paramref name="total"/>, their percentages and bytes rising, then its 100% line.</summary>
    private static void AssertLines(AgentResult result, string operation, string volume, string total)
    {
        var lines = result.Stderr.Split('\n').Where(l => l.Contains($" INF {operation} ", StringComparison.Ordinal) && l.Contains("% done", StringComparison.Ordinal)).ToList();
        var steps = lines.SkipLast(1).Select(l => StepLine().Match(l)).ToList();
        Assert.True(steps.Count >= 5 && steps.All(m => m.Success), result.ToString());
        Assert.All(steps, m =>
        {
            Assert.Equal(operation, m.Groups["op"].Value);
            Assert.Equal(total, m.Groups["total"].Value);
            Assert.Equal(volume, m.Groups["volume"].Value);
        });
        var percents = steps.Select(m => int.Parse(m.Groups["percent"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        // Rising (a line 10 s after the last may show the same percentage on a slow machine), never 100% before the end.
        Assert.True(percents.Zip(percents.Skip(1)).All(p => p.First <= p.Second) && percents.Distinct().Count() >= 5 && percents[^1] < 100, string.Join('\n', lines));
        Assert.Contains($" INF {operation} 100% done: {total} in ", lines[^1]);
    }

    [GeneratedRegex(@" INF (?<op>\w+) (?<percent>\d+)% done: [\d.]+ (B|KiB|MiB) of (?<total>[\d.]+ MiB), [\d.]+ [KMG]?i?B/s, ETA ([\d:]+|unknown), volume (?<volume>\S+)$")]
    private static partial Regex StepLine();
}
