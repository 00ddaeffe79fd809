namespace BackupAgent.Core.Progress;

/// <summary>
/// Progress on a terminal (<c>--progress tty</c>): one line on <paramref name="output"/> (stderr), rewritten in place at
/// most every <see cref="Interval"/>, like restic's: elapsed time, share done, bytes done of the total, rate, ETA
/// and the current volume. The cursor is left at the start of the line, so that a log line written meanwhile
/// starts there and the line is drawn again below it; it is cleared when a volume starts (the run logs that line
/// in its place) and ends with a newline when the run ends.
/// </summary>
public sealed class TtyProgress(TextWriter output, TimeProvider clock) : ProgressRenderer(clock)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>ANSI: erase from the cursor to the end of the line.</summary>
    private const string EraseLine = "\u001b[K";

    private const int MaxVolume = 40;

    private TimeSpan? _drawnAt;
    private bool _onScreen;

    protected override void Show(ProgressView view)
    {
        switch (view.Report.Phase)
        {
            case ProgressPhase.Started:
                _drawnAt = null;
                return;
            case ProgressPhase.Volume:
                Write(_onScreen ? EraseLine : "");
                _onScreen = false;
                return;
            case ProgressPhase.Bytes when _drawnAt is null || view.Elapsed - _drawnAt >= Interval:
                _drawnAt = view.Elapsed;
                _onScreen = true;
                Write(Line(view) + EraseLine + "\r");
                return;
            case ProgressPhase.Finished:
                Write(Line(view) + EraseLine + "\n");
                _onScreen = false;
                return;
            case ProgressPhase.Failed when _onScreen:
                Write("\n");
                _onScreen = false;
                return;
        }
    }

    /// <summary>The line: "[0:12] 55.65%  285.0 MiB of 512.0 MiB  29.9 MiB/s  ETA 0:07  db-data".</summary>
    public static string Line(ProgressView view)
    {
        var report = view.Report;
        var parts = new List<string> { $"[{ProgressText.Duration(view.Elapsed)}]" };
        if (view.Fraction is { } fraction)
        {
            parts.Add(ProgressText.Percent(fraction, 2));
            parts.Add(report.Phase == ProgressPhase.Finished ? ProgressText.Size(report.Bytes) : $"{ProgressText.Size(report.Bytes)} of {ProgressText.Size(report.Total!.Value)}");
        }
        else
        {
            parts.Add(ProgressText.Size(report.Bytes));
        }

        parts.Add(ProgressText.Rate(view.Rate));
        if (report.Phase == ProgressPhase.Finished)
        {
            parts.Add($"{report.Operation} done");
        }
        else
        {
            parts.Add(view.Remaining is { } left ? $"ETA {ProgressText.Duration(left)}" : "ETA unknown");
            if (report.Volume is { } volume)
            {
                parts.Add(volume.Length > MaxVolume ? volume[..(MaxVolume - 1)] + "…" : volume);
            }
        }

        return string.Join("  ", parts);
    }

    private void Write(string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        lock (output)
        {
            output.Write(text);
            output.Flush();
        }
    }
}
