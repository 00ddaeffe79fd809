using System.Globalization;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Retention;

/// <summary>
/// Which backups to keep, with restic's semantics: each rule keeps the newest backup in each of its last N periods
/// that have a backup; <see cref="Within"/> keeps everything that is at most that old relative to the newest
/// backup. A backup kept by any rule is kept.
/// </summary>
public sealed record RetentionPolicy
{
    public int Last { get; init; }

    public int Hourly { get; init; }

    public int Daily { get; init; }

    public int Weekly { get; init; }

    public int Monthly { get; init; }

    public int Yearly { get; init; }

    public TimeSpan? Within { get; init; }

    public bool IsEmpty => Last + Hourly + Daily + Weekly + Monthly + Yearly == 0 && Within is null;

    /// <summary>
    /// Decides for each backup (any order) whether it is kept, and by which rules, with periods taken in
    /// <paramref name="zone"/>. Pure: the same input always gives the same answer.
    /// </summary>
    public IReadOnlyList<RetentionDecision<T>> Apply<T>(IEnumerable<T> backups, Func<T, DateTimeOffset> timeOf, TimeZoneInfo zone)
    {
        var newestFirst = backups.OrderByDescending(timeOf).ToList();
        if (newestFirst.Count == 0)
        {
            return [];
        }

        var newest = timeOf(newestFirst[0]);
        var rules = new List<Rule>
        {
            new("last", Last, (_, i) => i.ToString(CultureInfo.InvariantCulture)),
            new("hourly", Hourly, (t, _) => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture)),
            new("daily", Daily, (t, _) => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new("weekly", Weekly, (t, _) => $"{ISOWeek.GetYear(t.DateTime)}-W{ISOWeek.GetWeekOfYear(t.DateTime):00}"),
            new("monthly", Monthly, (t, _) => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            new("yearly", Yearly, (t, _) => t.ToString("yyyy", CultureInfo.InvariantCulture)),
        };

        var decisions = new List<RetentionDecision<T>>();
        for (var i = 0; i < newestFirst.Count; i++)
        {
            var backup = newestFirst[i];
            var time = timeOf(backup);
            var local = TimeZoneInfo.ConvertTime(time, zone);
            var reasons = new List<string>();
            foreach (var rule in rules.Where(r => r.Remaining > 0))
            {
                var period = rule.Period(local, i);
                if (period != rule.LastPeriod)
                {
                    rule.LastPeriod = period;
                    rule.Remaining--;
                    reasons.Add(rule.Name == "last" ? "last" : $"{rule.Name} {period}");
                }
            }

            if (Within is { } within && newest - time <= within)
            {
                reasons.Add($"within {FormatDuration(within)}");
            }

            decisions.Add(new RetentionDecision<T>(backup, reasons.Count > 0, reasons));
        }

        return decisions;
    }

    /// <summary>Parses a duration like restic's: a sequence of NUMBER UNIT with units y, m (months), d, h, e.g. "1y6m", "7d", "36h".</summary>
    public static TimeSpan ParseDuration(string value, string optionName)
    {
        var total = TimeSpan.Zero;
        var number = 0L;
        var sawDigit = false;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                number = checked((number * 10) + (c - '0'));
                sawDigit = true;
                continue;
            }

            if (!sawDigit)
            {
                throw BadDuration(value, optionName);
            }

            total += c switch
            {
                'y' => TimeSpan.FromDays(365 * number),
                'm' => TimeSpan.FromDays(30 * number),
                'd' => TimeSpan.FromDays(number),
                'h' => TimeSpan.FromHours(number),
                _ => throw BadDuration(value, optionName),
            };
            number = 0;
            sawDigit = false;
        }

        return sawDigit || total == TimeSpan.Zero ? throw BadDuration(value, optionName) : total;
    }

    private static BadInputException BadDuration(string value, string optionName) =>
        new($"{optionName} '{value}' is not a duration like 7d, 36h or 1y6m (units: y, m, d, h)");

    private static string FormatDuration(TimeSpan span) =>
        span.TotalHours % 24 == 0 ? $"{span.TotalDays:0}d" : $"{span.TotalHours:0}h";

    private sealed class Rule(string name, int count, Func<DateTimeOffset, int, string> period)
    {
        public string Name { get; } = name;

        public int Remaining { get; set; } = count;

        public Func<DateTimeOffset, int, string> Period { get; } = period;

        public string? LastPeriod { get; set; }
    }
}

/// <summary>Whether one backup is kept, and the rules that keep it.</summary>
public sealed record RetentionDecision<T>(T Backup, bool Keep, IReadOnlyList<string> Reasons);
