using Serilog;

namespace BackupAgent.Core.Progress;

/// <summary>
/// Progress as log lines, for logs and pipes (<c>--progress plain</c>, and the scheduled agent): one at every 5% of the
/// total or every 10 s, whichever comes first, and one when the run is done. Given <paramref name="quietFor"/> (the
/// default mode off a terminal, and the scheduled agent: <see cref="LongRun"/>), a run only gets lines once it has
/// lasted that long, so short runs log as they always did.
/// </summary>
public sealed class PlainProgress(ILogger log, TimeProvider clock, TimeSpan? quietFor = null) : ProgressRenderer(clock)
{
    /// <summary>How long a run lasts before the quiet modes log its progress.</summary>
    public static readonly TimeSpan LongRun = StepThrottle.Interval;

    private readonly StepThrottle _throttle = new();
    private bool _shown;

    public override TimeSpan QuietFor => quietFor ?? TimeSpan.Zero;

    protected override void Show(ProgressView view)
    {
        var report = view.Report;
        switch (report.Phase)
        {
            case ProgressPhase.Started:
                _throttle.Reset();
                _shown = false;
                return;
            case ProgressPhase.Bytes when view.Elapsed >= (quietFor ?? TimeSpan.Zero) && _throttle.Due(view):
                _shown = true;
                if (view.Fraction is { } fraction)
                {
                    log.Information(
                        "{Operation:l} {Percent:l} done: {Done:l} of {Total:l}, {Rate:l}, ETA {Eta:l}, volume {Volume:l}",
                        report.Operation, ProgressText.Percent(fraction, 0), ProgressText.Size(report.Bytes), ProgressText.Size(report.Total!.Value),
                        ProgressText.Rate(view.Rate), view.Remaining is { } left ? ProgressText.Duration(left) : "unknown", report.Volume);
                }
                else
                {
                    log.Information("{Operation:l}: {Done:l} done (total unknown), {Rate:l}, volume {Volume:l}",
                        report.Operation, ProgressText.Size(report.Bytes), ProgressText.Rate(view.Rate), report.Volume);
                }

                return;
            case ProgressPhase.Finished when _shown || view.Elapsed >= (quietFor ?? TimeSpan.Zero):
                log.Information("{Operation:l} 100% done: {Done:l} in {Elapsed:l}, {Rate:l}",
                    report.Operation, ProgressText.Size(report.Bytes), ProgressText.Duration(view.Elapsed), ProgressText.Rate(view.Rate));
                return;
        }
    }
}
