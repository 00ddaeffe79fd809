using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// A plug-in told about every run of <see cref="JobRunner"/>: when it starts and when it ends (metrics, pings, the
/// webhook). One member. An observer that throws or hangs on its own timeouts never fails the run, nor the others.
/// </summary>
public interface IRunObserver
{
    Task ObserveAsync(RunNotice notice);
}

/// <summary>
/// One moment of a run: <see cref="Run"/>'s outcome is Running when it starts, and Succeeded, Failed or Cancelled
/// (with its bytes, sets, duration and error) when it has ended and is recorded.
/// </summary>
public sealed record RunNotice(JobOptions Job, RunRecord Run, ILogger Log)
{
    public bool HasStarted => Run.Outcome == RunOutcome.Running;
}

/// <summary>The observers of a runner, told together; each one's failure is logged and contained.</summary>
public sealed class RunObservers
{
    private readonly List<IRunObserver> _observers = [];

    public void Add(IRunObserver observer)
    {
        lock (_observers)
        {
            _observers.Add(observer);
        }
    }

    public async Task NotifyAsync(RunNotice notice)
    {
        IRunObserver[] observers;
        lock (_observers)
        {
            observers = [.. _observers];
        }

        await Task.WhenAll(observers.Select(o => SafelyAsync(o, notice)));
    }

    private static async Task SafelyAsync(IRunObserver observer, RunNotice notice)
    {
        try
        {
            await observer.ObserveAsync(notice);
        }
        catch (Exception e)
        {
            notice.Log.Warning("The {Observer} failed on run {RunId} of job {Job}: {Error}; the run is not affected",
                observer.GetType().Name, notice.Run.RunId, notice.Job.Name, JobTerms.Describe(e));
        }
    }
}
