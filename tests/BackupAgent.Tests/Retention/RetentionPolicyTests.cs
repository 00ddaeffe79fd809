using System.Globalization;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Retention;

namespace BackupAgent.Tests.Retention;

public sealed class RetentionPolicyTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // policy, zone, backups (UTC, any order), expected kept (newest first)
        { "last=3", "UTC", "2026-01-01T10:00 2026-01-01T11:00 2026-01-01T12:00 2026-01-01T13:00 2026-01-01T14:00", "2026-01-01T14:00 2026-01-01T13:00 2026-01-01T12:00" },
        { "last=10", "UTC", "2026-01-01T10:00", "2026-01-01T10:00" },
        { "daily=2", "UTC", "2026-01-01T08:00 2026-01-01T20:00 2026-01-02T08:00 2026-01-02T20:00 2026-01-03T01:00", "2026-01-03T01:00 2026-01-02T20:00" },
        { "daily=7", "UTC", "2026-01-01T08:00 2026-01-05T08:00 2026-01-05T09:00", "2026-01-05T09:00 2026-01-01T08:00" },
        { "hourly=2", "UTC", "2026-01-01T10:05 2026-01-01T10:55 2026-01-01T11:10 2026-01-01T11:50", "2026-01-01T11:50 2026-01-01T10:55" },
        // 22:30 and 23:30 UTC on Jan 1 are 23:30 on Jan 1 and 00:30 on Jan 2 in Berlin: other days there, one day in UTC.
        { "daily=2", "UTC", "2026-01-01T12:00 2026-01-01T22:30 2026-01-01T23:30", "2026-01-01T23:30" },
        { "daily=2", "Europe/Berlin", "2026-01-01T12:00 2026-01-01T22:30 2026-01-01T23:30", "2026-01-01T23:30 2026-01-01T22:30" },
        // ISO weeks start on Monday: Sunday 2026-01-04 and Monday 2026-01-05 are in different weeks.
        { "weekly=2", "UTC", "2026-01-03T12:00 2026-01-04T12:00 2026-01-05T12:00 2026-01-06T12:00", "2026-01-06T12:00 2026-01-04T12:00" },
        { "monthly=2", "UTC", "2025-12-31T23:00 2026-01-15T00:00 2026-01-31T00:00 2026-02-01T00:00", "2026-02-01T00:00 2026-01-31T00:00" },
        { "yearly=3", "UTC", "2024-06-01T00:00 2024-12-31T00:00 2025-03-01T00:00 2026-01-01T00:00", "2026-01-01T00:00 2025-03-01T00:00 2024-12-31T00:00" },
        { "within=2d", "UTC", "2026-01-01T00:00 2026-01-08T00:00 2026-01-09T00:00 2026-01-10T00:00", "2026-01-10T00:00 2026-01-09T00:00 2026-01-08T00:00" },
        { "last=1 monthly=2", "UTC", "2026-01-10T00:00 2026-02-10T00:00 2026-02-11T00:00 2026-03-01T00:00 2026-03-02T00:00", "2026-03-02T00:00 2026-02-11T00:00" },
        { "daily=1", "UTC", "", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_rule_keeps_the_newest_backup_of_each_of_its_last_periods(string policy, string zone, string backups, string expected)
    {
        var times = Parse(backups);
        var decisions = ParsePolicy(policy).Apply(times.OrderBy(_ => Guid.NewGuid()), t => t, zone == "UTC" ? Utc : Berlin);
        Assert.Equal(times.Count, decisions.Count);
        Assert.Equal(Parse(expected), decisions.Where(d => d.Keep).Select(d => d.Backup).ToList());
    }

    [Fact]
    public void Reasons_name_every_rule_that_keeps_a_backup()
    {
        var policy = new RetentionPolicy { Last = 1, Daily = 1, Within = TimeSpan.FromDays(1) };
        var decision = policy.Apply(Parse("2026-01-01T10:00"), t => t, Utc).Single();
        Assert.Equal(["last", "daily 2026-01-01", "within 1d"], decision.Reasons);
    }

    [Theory]
    [InlineData("7d", 7 * 24)]
    [InlineData("36h", 36)]
    [InlineData("1y6m", (365 + 180) * 24)]
    [InlineData("2d12h", 60)]
    public void Durations_are_read_like_restics(string text, int hours)
    {
        Assert.Equal(TimeSpan.FromHours(hours), RetentionPolicy.ParseDuration(text, "--keep-within"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("d")]
    [InlineData("3w")]
    [InlineData("0d")]
    public void Bad_durations_name_the_option(string text)
    {
        Assert.Contains("--keep-within", Assert.Throws<BadInputException>(() => RetentionPolicy.ParseDuration(text, "--keep-within")).Message);
    }

    private static List<DateTimeOffset> Parse(string list) =>
        list.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => DateTimeOffset.ParseExact(s, "yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            .OrderByDescending(t => t)
            .ToList();

    private static RetentionPolicy ParsePolicy(string text)
    {
        var policy = new RetentionPolicy();
        foreach (var part in text.Split(' '))
        {
            var (key, value) = (part.Split('=')[0], part.Split('=')[1]);
            policy = key switch
            {
                "last" => policy with { Last = int.Parse(value, CultureInfo.InvariantCulture) },
                "hourly" => policy with { Hourly = int.Parse(value, CultureInfo.InvariantCulture) },
                "daily" => policy with { Daily = int.Parse(value, CultureInfo.InvariantCulture) },
                "weekly" => policy with { Weekly = int.Parse(value, CultureInfo.InvariantCulture) },
                "monthly" => policy with { Monthly = int.Parse(value, CultureInfo.InvariantCulture) },
                "yearly" => policy with { Yearly = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => policy with { Within = RetentionPolicy.ParseDuration(value, "within") },
            };
        }

        return policy;
    }
}
