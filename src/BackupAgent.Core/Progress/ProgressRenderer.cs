namespace BackupAgent.Core.Progress;

/// <summary>
/// What the renderers share: the clock of the run, and the view of each report at its time. The clock starts when the
/// data starts to move (the first volume), not at <see cref="ProgressPhase.Started"/>: stopping containers or
/// creating volumes before would make the rate look low. Each run starts it again, so one renderer serves runs one
/// after the other.
/// </summary>
public abstract class ProgressRenderer(TimeProvider clock) : IProgressSink
{
    private long? _started;

    public virtual TimeSpan QuietFor => TimeSpan.Zero;

    public void Report(ProgressReport report)
    {
        if (report.Phase == ProgressPhase.Started)
        {
            _started = null;
        }
        else if (_started is null && report.Phase is ProgressPhase.Volume or ProgressPhase.Bytes)
        {
            _started = clock.GetTimestamp();
        }

        Show(new ProgressView(report, _started is { } started ? clock.GetElapsedTime(started) : TimeSpan.Zero));
    }

    protected abstract void Show(ProgressView view);
}

/// <summary>The cadence of <see cref="PlainProgress"/> and <see cref="JsonProgress"/>: at every 5% of the total, or after 10 s without a line, whichever comes first.</summary>
internal sealed class StepThrottle
{
    public const double Step = 0.05;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private int _step;
    private TimeSpan _last;

    public void Reset() => (_step, _last) = (0, TimeSpan.Zero);

    /// <summary>Whether <paramref name="view"/> gets a line (and if so, it is the latest that did).</summary>
    public bool Due(ProgressView view)
    {
        var step = view.Fraction is { } fraction ? (int)Math.Floor((fraction / Step) + 1e-6) : 0;
        if (step <= _step && view.Elapsed - _last < Interval)
        {
            return false;
        }

        (_step, _last) = (Math.Max(step, _step), view.Elapsed);
        return true;
    }
}
