using System.Globalization;

namespace BackupAgent.Core.Progress;

/// <summary>How progress reads: sizes in binary units (29.9 MiB), rates, durations as m:ss or h:mm:ss, percentages.</summary>
public static class ProgressText
{
    /// <summary>As every size the agent prints for people: <see cref="Formats.ByteSize.Human"/>.</summary>
    public static string Size(long bytes) => Formats.ByteSize.Human(bytes);

    public static string Rate(double bytesPerSecond) => Size((long)bytesPerSecond) + "/s";

    /// <summary>2:31, or 1:02:31 from an hour on (rounded down to the second).</summary>
    public static string Duration(TimeSpan duration)
    {
        var seconds = (long)Math.Max(0, duration.TotalSeconds);
        var (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        return h > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{h}:{m:00}:{s:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{m}:{s:00}");
    }

    /// <summary>55.65% (<paramref name="decimals"/> 2) or 55% (0, rounded down: 100% only when it is).</summary>
    public static string Percent(double fraction, int decimals)
    {
        var scale = Math.Pow(10, decimals);
        var value = Math.Floor((fraction * 100 * scale) + 1e-6) / scale;
        return value.ToString(decimals == 0 ? "0" : "0." + new string('0', decimals), CultureInfo.InvariantCulture) + "%";
    }
}

/// <summary>A report as a renderer shows it, <paramref name="Elapsed"/> into its run: the share done, the rate and the time left.</summary>
public readonly record struct ProgressView(ProgressReport Report, TimeSpan Elapsed)
{
    /// <summary>Below this until the run finished: an estimate that was too low never shows 100% early.</summary>
    public const double MaxUnfinished = 0.9999;

    /// <summary>The share done, from 0 to 1; null when there is no total.</summary>
    public double? Fraction => Report.Phase == ProgressPhase.Finished ? 1
        : Report.Total is > 0 and var total ? Math.Min((double)Report.Bytes / total, MaxUnfinished) : null;

    /// <summary>Bytes per second since the run started.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? Report.Bytes / Elapsed.TotalSeconds : 0;

    /// <summary>The time left at <see cref="Rate"/>; null without a total, before anything passed, or past the estimate.</summary>
    public TimeSpan? Remaining => Report.Phase == ProgressPhase.Finished ? TimeSpan.Zero
        : Report.Total is { } total && total > Report.Bytes && Rate > 0 ? TimeSpan.FromSeconds(Math.Min((total - Report.Bytes) / Rate, TimeSpan.MaxValue.TotalSeconds / 2)) : null;
}
