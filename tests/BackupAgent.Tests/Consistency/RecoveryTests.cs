using BackupAgent.Core.Consistency;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Consistency;

/// <summary>
/// What a killed agent leaves in the journal never fails a later run: recovery against an engine in memory, with
/// entries of a dead run written as the agent writes them.
/// </summary>
public sealed class RecoveryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backup-agent-recovery-{Guid.NewGuid():N}");
    private readonly CollectingLog _log = new();
    private readonly FakeEngine _engine = new() { StopTakes = TimeSpan.FromMilliseconds(300) };
    private readonly StopJournal _journal;
    private readonly ContainerStopper _stopper;

    public RecoveryTests()
    {
        _journal = new StopJournal(_directory, _log.Logger);
        _stopper = new ContainerStopper(_engine, _journal, new VolumeLocks(Path.Combine(_directory, "locks")), _log.Logger) { Settle = TimeSpan.FromMilliseconds(50) };
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_corrupt_entry_is_moved_aside_with_a_warning_naming_it_and_the_other_entries_are_recovered()
    {
        var app = _engine.Add("app", running: false);
        LeftByDeadRun("dead-run", app);
        Directory.CreateDirectory(_directory);
        var corrupt = Path.Combine(_directory, "20261201T000000Z-abcdef.json");
        await File.WriteAllTextAsync(corrupt, "{\"runId\": \"20261201T0");
        await File.WriteAllTextAsync(Path.Combine(_directory, "empty.json"), "{}");

        var recovery = await _stopper.RecoverAsync(CancellationToken.None);

        Assert.Equal(["app"], recovery.Started);
        Assert.True(_engine.IsRunning("app"));
        Assert.False(File.Exists(corrupt));
        Assert.True(File.Exists(corrupt + ".corrupt"));
        Assert.Contains(_log.Messages, m => m.Contains($"The stop journal entry \"{corrupt}\" is corrupt") && m.Contains($"moved aside as \"{corrupt}.corrupt\""));
        Assert.True(File.Exists(Path.Combine(_directory, "empty.json.corrupt")));
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_journalled_container_that_no_longer_exists_is_dropped_with_a_warning()
    {
        LeftByDeadRun("dead-run", _engine.Add("gone", running: false));
        _engine.Remove("gone");

        var recovery = await _stopper.RecoverAsync(CancellationToken.None);

        Assert.Equal(["gone"], recovery.Dropped);
        Assert.Contains(_log.Messages, m => m.Contains("Dropping container \"gone\" from the stop journal: it no longer exists"));
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_container_recreated_under_its_name_is_neither_started_nor_stopped()
    {
        LeftByDeadRun("dead-run", _engine.Add("web", running: false));
        _engine.Remove("web");
        _engine.Add("web", running: false);

        var recovery = await _stopper.RecoverAsync(CancellationToken.None);

        Assert.Equal(["web"], recovery.Recreated);
        Assert.False(_engine.IsRunning("web"));
        Assert.Contains(_log.Messages, m => m.Contains("Leaving container \"web\" as it is: it was recreated"));
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_container_that_does_not_start_stays_in_the_journal_and_fails_no_later_recovery()
    {
        var broken = _engine.Add("broken", running: false);
        LeftByDeadRun("dead-run", _engine.Add("fine", running: false), broken);
        _engine.FailToStart.Add("broken");

        var first = await _stopper.RecoverAsync(CancellationToken.None);
        var second = await _stopper.RecoverAsync(CancellationToken.None);

        Assert.Equal(["fine"], first.Started);
        Assert.Single(first.Failed, f => f.StartsWith("broken (", StringComparison.Ordinal));
        Assert.Single(second.Failed, f => f.StartsWith("broken (", StringComparison.Ordinal));
        Assert.Empty(second.Started);
        Assert.Equal([broken.Id], _journal.Read().Single().Containers.Select(c => c.Id));
        Assert.Contains(_log.Messages, m => m.Contains("Container \"broken\" did not start again") && m.Contains("every run (or 'backup-agent recover') tries again"));
    }

    [Fact]
    public async Task The_downtime_runs_from_the_stop_request_so_the_shutdown_counts()
    {
        var app = _engine.Add("slow-to-stop");

        var stopped = await _stopper.StopAsync("run", [app], null, CancellationToken.None);
        var downtime = Assert.Single(await stopped.RestartAsync(CancellationToken.None));

        Assert.Equal("slow-to-stop", downtime.Container);
        Assert.True(downtime.Seconds >= 0.3, $"{downtime.Seconds} s leaves out the 0.3 s the container took to stop");
    }

    [Fact]
    public async Task A_container_that_exits_right_after_it_was_started_again_fails_the_run_naming_it_and_is_not_logged_as_started()
    {
        var app = _engine.Add("no-lock-file");
        _engine.ExitAfterStart.Add("no-lock-file");

        var stopped = await _stopper.StopAsync("run", [app], null, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<Core.Errors.BackupAgentException>(() => stopped.RestartAsync(CancellationToken.None));

        Assert.Equal("container 'no-lock-file' was started again but exited within 0 s with code 3 (cannot start)", failure.Message);
        Assert.DoesNotContain(_log.Messages, m => m.Contains("Started container"));
        Assert.Empty(Directory.EnumerateFiles(_directory, "*.json"));
    }

    /// <summary>An entry as a run of an agent that died (a PID that cannot exist on this host) leaves it.</summary>
    private void LeftByDeadRun(string runId, params Core.Engine.ContainerInfo[] containers) =>
        _journal.Record(new JournalEntry(runId, $"{Environment.MachineName}:999999999:1", DateTimeOffset.UtcNow, containers.Select(c => new StoppedContainer(c.Id, c.Name)).ToList())
        {
            Engine = "fake engine",
            Endpoint = _engine.Endpoint,
        });
}
