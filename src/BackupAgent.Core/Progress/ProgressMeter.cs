namespace BackupAgent.Core.Progress;

/// <summary>
/// The progress of one run: counts the tar bytes of every volume as they pass (<see cref="Formats.TarStats"/> tells it)
/// and reports each change to the sink. Dispose it on every path: a run that did not <see cref="Finish"/> is reported failed.
/// An estimated total is worked out beside the run, once the sink wants one (<see cref="IProgressSink.QuietFor"/>),
/// and shown from the first report after it is known; disposing the meter ends that work.
/// </summary>
public sealed class ProgressMeter : IDisposable, IAsyncDisposable
{
    private readonly IProgressSink _sink;
    private readonly string _operation;
    private readonly CancellationTokenSource _stop = new();
    private Func<CancellationToken, Task<long?>>? _estimate;
    private TimeProvider _clock = TimeProvider.System;
    private long _started;
    private Task<long?>? _estimating;
    private long? _total;
    private string? _volume;
    private bool _ended;

    private ProgressMeter(IProgressSink sink, string operation, long? total) => (_sink, _operation, _total) = (sink, operation, total);

    /// <summary>The tar bytes that passed so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Starts the progress of a run of <paramref name="operation"/> (backup, restore, verify, migrate); null without a sink.</summary>
    public static ProgressMeter? Start(IProgressSink? sink, string operation, long? total)
    {
        if (sink is null)
        {
            return null;
        }

        var meter = new ProgressMeter(sink, operation, total is < 0 ? null : total);
        meter.Send(ProgressPhase.Started);
        return meter;
    }

    /// <summary>
    /// Starts the progress of a run whose total <paramref name="estimate"/> works out (null: unknown); null without a
    /// sink. A sink that shows progress from the start gets the total before the run starts, so its first line has it;
    /// a quiet one (<see cref="IProgressSink.QuietFor"/>) gets it worked out beside the run once it is about to show.
    /// </summary>
    public static async Task<ProgressMeter?> StartAsync(
        IProgressSink? sink, string operation, Func<CancellationToken, Task<long?>> estimate, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (sink is null)
        {
            return null;
        }

        if (sink.QuietFor <= TimeSpan.Zero)
        {
            return Start(sink, operation, await estimate(cancellationToken));
        }

        var meter = Start(sink, operation, null)!;
        (meter._estimate, meter._clock, meter._started) = (estimate, clock, clock.GetTimestamp());
        return meter;
    }

    /// <summary>The run goes on with <paramref name="volume"/>.</summary>
    public void Volume(string volume)
    {
        _volume = volume;
        Send(ProgressPhase.Volume);
    }

    /// <summary><paramref name="count"/> more bytes passed (after the end, as a read a failure left behind may still report: ignored).</summary>
    public void Add(int count)
    {
        if (count > 0 && !_ended)
        {
            Bytes += count;
            Estimate();
            Send(ProgressPhase.Bytes);
        }
    }

    /// <summary>From now on, <paramref name="remaining"/> bytes are expected after those that passed (a better estimate).</summary>
    public void Expect(long remaining) => _total = Bytes + Math.Max(0, remaining);

    public void Finish()
    {
        if (!_ended)
        {
            _ended = true;
            _total = Bytes;
            Send(ProgressPhase.Finished);
        }
    }

    /// <summary>Ends the run (failed unless finished) and the estimate's work, without waiting for that work to stop.</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            _ended = true;
            Send(ProgressPhase.Failed);
        }

        _stop.Cancel();
    }

    /// <summary>Ends the run (failed unless finished) and waits for the estimate's work (a helper) to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        if (_estimating is not null)
        {
            await _estimating.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        _stop.Dispose();
    }

    /// <summary>Starts the estimate once the sink wants a total, and takes its result once it is there.</summary>
    private void Estimate()
    {
        if (_estimate is null)
        {
            return;
        }

        if (_estimating is null && _clock.GetElapsedTime(_started) >= _sink.QuietFor)
        {
            _estimating = _estimate(_stop.Token);
        }

        if (_estimating is { IsCompleted: true })
        {
            _total = _estimating.IsCompletedSuccessfully ? _estimating.Result : null;
            _estimate = null;
        }
    }

    private void Send(ProgressPhase phase) => _sink.Report(new ProgressReport(phase, _operation, _volume, Bytes, _total));
}
