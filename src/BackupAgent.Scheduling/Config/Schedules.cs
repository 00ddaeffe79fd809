using Quartz;

namespace BackupAgent.Scheduling.Config;

/// <summary>A job's cron expression in its time zone: what the scheduler fires and what `status` shows.</summary>
public static class Schedules
{
    public static TimeZoneInfo TimeZone(this JobOptions job) =>
        job.TimeZone is { Length: > 0 } zone ? TimeZoneInfo.FindSystemTimeZoneById(zone) : TimeZoneInfo.Local;

    public static CronExpression Cron(this JobOptions job) => new(job.Cron!, job.TimeZone());

    public static DateTimeOffset? NextFireAfter(this JobOptions job, DateTimeOffset time) => job.Cron().GetNextValidTimeAfter(time);
}
