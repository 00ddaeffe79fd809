using BackupAgent.Core.Consistency;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Consistency;

/// <summary>
/// The one run skeleton, against an engine in memory: whatever the run does inside the window, the containers it
/// stopped run again afterwards (except on purpose), the journal is left empty, and the post-backup hooks run.
/// </summary>
public sealed class ConsistencyWindowTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backup-agent-window-{Guid.NewGuid():N}");
    private readonly CollectingLog _log = new();
    private readonly FakeEngine _engine = new();
    private readonly StopJournal _journal;
    private readonly ContainerStopper _stopper;

    public ConsistencyWindowTests()
    {
        _journal = new StopJournal(_directory, _log.Logger);
        _stopper = new ContainerStopper(_engine, _journal, new VolumeLocks(Path.Combine(_directory, "locks")), _log.Logger) { Settle = TimeSpan.Zero };
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_that_succeeds_starts_its_containers_again_and_runs_the_post_hooks_last()
    {
        var (db, web) = (_engine.Add("db"), _engine.Add("web"));
        var plan = new ConsistencyPlan([web, db], [Hook("db", "dump")], [Hook("db", "cleanup")]);

        await using (var window = await OpenAsync(plan))
        {
            var seen = await window.WhileStoppedAsync(_ => Task.FromResult((_engine.IsRunning("db"), _engine.IsRunning("web"))), CancellationToken.None);

            Assert.Equal((false, false), seen);
            Assert.True(_engine.IsRunning("db") && _engine.IsRunning("web"));
            Assert.Equal(["db", "web"], window.Downtimes.Select(d => d.Container).Order());
            Assert.Equal(["db: dump"], _engine.Execs);
            Assert.Empty(await window.CloseAsync());
        }

        Assert.Equal(["db: dump", "db: cleanup"], _engine.Execs);
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_run_that_fails_inside_the_window_starts_its_containers_again_and_runs_the_post_hooks()
    {
        var app = _engine.Add("app");

        var failure = await Assert.ThrowsAsync<BackupAgentException>(async () =>
        {
            await using var window = await OpenAsync(new ConsistencyPlan([app], [], [Hook("app", "cleanup")]));
            await window.WhileStoppedAsync<int>(_ => throw new BackupAgentException("the store is full"), CancellationToken.None);
        });

        Assert.Equal("the store is full", failure.Message);
        Assert.True(_engine.IsRunning("app"));
        Assert.Equal(["app: cleanup"], _engine.Execs);
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_run_cancelled_inside_the_window_starts_its_containers_again()
    {
        var app = _engine.Add("app");
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await using var window = await OpenAsync(new ConsistencyPlan([app], [], []));
            await window.WhileStoppedAsync<int>(async ct =>
            {
                await cancel.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return 0;
            }, cancel.Token);
        });

        Assert.True(_engine.IsRunning("app"));
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task A_failure_whose_restart_fails_too_is_one_error_naming_both_and_the_journal_keeps_the_container()
    {
        var app = _engine.Add("app");
        _engine.FailToStart.Add("app");

        var failure = await Assert.ThrowsAsync<BackupAgentException>(async () =>
        {
            await using var window = await OpenAsync(new ConsistencyPlan([app], [], []));
            await window.WhileStoppedAsync<int>(_ => throw new BackupAgentException("the helper failed"), CancellationToken.None);
        });

        Assert.StartsWith("the helper failed; and container 'app' did not start again", failure.Message);
        Assert.Equal(["app"], _journal.Read().Single().Containers.Select(c => c.Name));
    }

    [Fact]
    public async Task A_container_that_does_not_start_after_a_good_read_is_a_problem_of_the_run_not_a_lost_backup()
    {
        var app = _engine.Add("app");
        _engine.FailToStart.Add("app");

        await using var window = await OpenAsync(new ConsistencyPlan([app], [], []));
        var value = await window.WhileStoppedAsync(_ => Task.FromResult(42), CancellationToken.None);

        Assert.Equal(42, value);
        Assert.Single(await window.CloseAsync(), p => p.StartsWith("container 'app' did not start again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fatal_pre_hook_stops_nothing_and_still_runs_the_post_hooks()
    {
        var app = _engine.Add("app");
        _engine.ExitCodes["dump"] = 3;

        var failure = await Assert.ThrowsAsync<BackupAgentException>(
            () => OpenAsync(new ConsistencyPlan([app], [Hook("app", "dump")], [Hook("app", "cleanup")])));

        Assert.Equal("the pre-backup hook in 'app' exited with code 3; nothing was backed up", failure.Message);
        Assert.True(_engine.IsRunning("app"));
        Assert.Equal(["app: dump", "app: cleanup"], _engine.Execs);
    }

    [Fact]
    public async Task A_failed_post_hook_is_a_problem_of_the_run()
    {
        _engine.ExitCodes["cleanup"] = 4;

        await using var window = await OpenAsync(new ConsistencyPlan([], [], [Hook("app", "cleanup")]));

        Assert.Equal(["the post-backup hook in 'app' exited with code 4"], await window.CloseAsync());
        Assert.Equal(["the post-backup hook in 'app' exited with code 4"], await window.CloseAsync());
        Assert.Equal(["app: cleanup"], _engine.Execs);
    }

    [Fact]
    public async Task A_container_that_fails_to_stop_is_named_and_those_stopped_before_it_run_again()
    {
        var (first, second) = (_engine.Add("first"), _engine.Add("second"));
        _engine.FailToStop.Add("second");

        await using var window = await OpenAsync(new ConsistencyPlan([first, second], [], []));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => window.WhileStoppedAsync(_ => Task.FromResult(0), CancellationToken.None));

        Assert.Equal("container 'second' did not stop", failure.Message);
        Assert.True(_engine.IsRunning("first"));
        Assert.Empty(_journal.Read());
    }

    [Fact]
    public async Task An_incomplete_swap_leaves_the_containers_stopped_and_journalled_for_recovery()
    {
        var app = _engine.Add("app");

        await using var window = await OpenAsync(new ConsistencyPlan([app], [], []));
        await Assert.ThrowsAsync<SwapIncompleteException>(() => window.WhileStoppedAsync<int>(
            _ => throw new SwapIncompleteException("data", new BackupAgentException("the engine went away")), CancellationToken.None));

        Assert.False(_engine.IsRunning("app"));
        Assert.Equal(["app"], _journal.Read().Single().Containers.Select(c => c.Name));
    }

    [Fact]
    public async Task A_cut_over_leaves_the_containers_stopped_on_purpose_and_the_journal_forgets_them()
    {
        var app = _engine.Add("app");

        await using var window = await OpenAsync(new ConsistencyPlan([app], [], []));
        await window.WhileStoppedAsync(_ => Task.FromResult(0), CancellationToken.None, leaveStopped: true);

        Assert.False(_engine.IsRunning("app"));
        Assert.Empty(window.Downtimes);
        Assert.Empty(_journal.Read());
    }

    private Task<ConsistencyWindow> OpenAsync(ConsistencyPlan plan) =>
        ConsistencyWindow.OpenAsync(_engine, _stopper, $"run-{Guid.NewGuid():N}", plan, "nothing was backed up", _log.Logger, CancellationToken.None);

    private static Hook Hook(string container, string command) => new(container, command, null, TimeSpan.FromSeconds(5), FailRunOnError: true);
}
