using BackupAgent.Scheduling.History;
using BackupAgent.Scheduling.Running;

namespace BackupAgent.Scheduling.Notifications;

/// <summary>
/// A job's monitoring pings (ping: start, success, failure), as healthchecks.io and Uptime Kuma's push monitors take
/// them: a GET when a run starts, and one when it succeeded or failed (a cancelled run is a failure: it did not
/// finish). The failure ping is retried the hardest (<see cref="Urgency.Alert"/>).
/// </summary>
public sealed class PingNotifier(HttpDelivery delivery) : IRunObserver
{
    public async Task ObserveAsync(RunNotice notice)
    {
        var ping = notice.Job.Ping;
        var (url, which, urgency) = notice.HasStarted ? (ping.Start, "start", Urgency.Start)
            : notice.Run.Outcome == RunOutcome.Succeeded ? (ping.Success, "success", Urgency.Normal)
            : (ping.Failure, "failure", Urgency.Alert);
        if (string.IsNullOrEmpty(url))
        {
            return;
        }

        await delivery.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), $"the {which} ping of job {notice.Job.Name}", notice.Run.RunId, urgency, notice.Log);
    }
}
