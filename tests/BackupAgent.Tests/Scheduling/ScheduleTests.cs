using BackupAgent.Scheduling.Config;

namespace BackupAgent.Tests.Scheduling;

/// <summary>The schedule rules docs/scheduling.md promises: daylight saving in a job's time zone, and catch-up after downtime.</summary>
public sealed class ScheduleTests
{
    private static JobOptions Job(string cron, string zone = "Europe/Berlin") => new() { Name = "j", Cron = cron, TimeZone = zone };

    private static string Local(DateTimeOffset? time) =>
        TimeZoneInfo.ConvertTime(time!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_daily_time_in_the_skipped_spring_hour_fires_once_at_the_first_valid_time()
    {
        var job = Job("0 30 2 * * ?");
        var first = job.NextFireAfter(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal("03-29 03:00 +02:00", Local(first));
        Assert.Equal("03-30 02:30 +02:00", Local(job.NextFireAfter(first!.Value)));
    }

    [Fact]
    public void A_daily_time_in_the_repeated_autumn_hour_fires_once()
    {
        var job = Job("0 30 2 * * ?");
        var first = job.NextFireAfter(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal("10-25 02:30 +02:00", Local(first));
        Assert.Equal("10-26 02:30 +01:00", Local(job.NextFireAfter(first!.Value)));
    }

    [Fact]
    public void A_job_down_across_several_fire_times_is_made_up_once_and_a_punctual_one_is_not()
    {
        var job = Job("0 0 3 * * ?", "UTC");
        var lastStart = new DateTimeOffset(2026, 11, 20, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 3, 0, 0, TimeSpan.Zero), job.MissedSince(lastStart, new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        Assert.Null(job.MissedSince(lastStart, new DateTimeOffset(2026, 11, 21, 2, 0, 0, TimeSpan.Zero)));
    }
}
