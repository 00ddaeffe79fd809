using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using BackupAgent.Scheduling.Running;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

/// <summary>The plug-in point around runs: an observer that fails is logged and contained.</summary>
public sealed class RunObserversTests
{
    [Fact]
    public async Task An_observer_that_throws_at_once_or_later_neither_fails_the_notice_nor_keeps_it_from_the_others()
    {
        var log = new CollectingLog();
        var seen = new List<string>();
        var observers = new RunObservers();
        observers.Add(new Throwing(atOnce: true));
        observers.Add(new Recording(seen));
        observers.Add(new Throwing(atOnce: false));
        var run = new RunRecord("2d3bf879", "nightly", "schedule", DateTimeOffset.UtcNow) { Outcome = RunOutcome.Failed, FinishedAt = DateTimeOffset.UtcNow };

        await observers.NotifyAsync(new RunNotice(new JobOptions { Name = "nightly" }, run, log.Logger));

        Assert.Equal(["2d3bf879 Failed"], seen);
        var warnings = log.Messages.Where(m => m.Contains("failed on run", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.True(w.Contains("the observer broke", StringComparison.Ordinal) && w.EndsWith("the run is not affected", StringComparison.Ordinal), w));
    }

    private sealed class Recording(List<string> seen) : IRunObserver
    {
        public Task ObserveAsync(RunNotice notice)
        {
            seen.Add($"{notice.Run.RunId} {notice.Run.Outcome}");
            return Task.CompletedTask;
        }
    }

    private sealed class Throwing(bool atOnce) : IRunObserver
    {
        public Task ObserveAsync(RunNotice notice) => atOnce ? throw new InvalidOperationException("the observer broke") : LaterAsync();

        private static async Task LaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("the observer broke");
        }
    }
}
