using Quartz;

namespace BackupAgent.Scheduling.Config;

/// <summary>A job's cron expression in its time zone: what the scheduler fires and what `status` shows.</summary>
public static class Schedules
{
    public static TimeZoneInfo TimeZone(this JobOptions job) =>
        job.TimeZone is { Length: > 0 } zone ? TimeZoneInfo.FindSystemTimeZoneById(zone) : TimeZoneInfo.Local;

    public static CronExpression Cron(this JobOptions job) => new(job.Cron!, job.TimeZone());

    public static DateTimeOffset? NextFireAfter(this JobOptions job, DateTimeOffset time) => job.Cron().GetNextValidTimeAfter(time);

    /// <summary>
    /// The first fire time the job missed since its last run started, or null: the catch-up rule after downtime
    /// (one run at start-up however many were missed).
    /// </summary>
    public static DateTimeOffset? MissedSince(this JobOptions job, DateTimeOffset lastStart, DateTimeOffset now) =>
        job.NextFireAfter(lastStart) is { } next && next < now.AddSeconds(-1) ? next : null;

    /// <summary>
    /// The longest gap between two fire times among the next 32 after <paramref name="now"/>: what a monitor should
    /// expect between two successes (a job on weekdays only: the weekend). Null for a schedule that never fires again.
    /// </summary>
    public static TimeSpan? ExpectedInterval(this JobOptions job, DateTimeOffset now)
    {
        var cron = job.Cron();
        TimeSpan? longest = null;
        var previous = cron.GetNextValidTimeAfter(now);
        for (var i = 0; i < 32 && previous is { } from; i++)
        {
            if (cron.GetNextValidTimeAfter(from) is not { } next)
            {
                break;
            }

            longest = longest is { } l && l >= next - from ? l : next - from;
            previous = next;
        }

        return longest;
    }
}
