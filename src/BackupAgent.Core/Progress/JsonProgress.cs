using System.Text.Json;

namespace BackupAgent.Core.Progress;

/// <summary>
/// Progress for scripts (<c>--json</c>): JSON lines on <paramref name="output"/> (stderr, so that stdout keeps the
/// command's one JSON result), as restic writes them: <c>"message_type": "status"</c> at every 5% of the total or every
/// 10 s, whichever comes first, and <c>"message_type": "summary"</c> when the run is done.
/// </summary>
public sealed class JsonProgress(TextWriter output, TimeProvider clock) : ProgressRenderer(clock)
{
    private readonly StepThrottle _throttle = new();

    protected override void Show(ProgressView view)
    {
        var report = view.Report;
        switch (report.Phase)
        {
            case ProgressPhase.Started:
                _throttle.Reset();
                return;
            case ProgressPhase.Bytes when _throttle.Due(view):
                Write(new
                {
                    message_type = "status",
                    operation = report.Operation,
                    percent_done = view.Fraction,
                    bytes_done = report.Bytes,
                    total_bytes = report.Total,
                    bytes_per_second = Math.Round(view.Rate),
                    seconds_elapsed = (long)view.Elapsed.TotalSeconds,
                    seconds_remaining = view.Remaining is { } left ? (long?)left.TotalSeconds : null,
                    current_volume = report.Volume,
                });
                return;
            case ProgressPhase.Finished:
                Write(new
                {
                    message_type = "summary",
                    operation = report.Operation,
                    percent_done = 1.0,
                    bytes_done = report.Bytes,
                    total_bytes = report.Bytes,
                    bytes_per_second = Math.Round(view.Rate),
                    seconds_elapsed = (long)view.Elapsed.TotalSeconds,
                });
                return;
        }
    }

    private void Write<T>(T value)
    {
        var line = JsonSerializer.Serialize(value);
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
