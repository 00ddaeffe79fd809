namespace BackupAgent.Core.Progress;

/// <summary>
/// The progress of one run: counts the tar bytes of every volume as they pass (<see cref="Formats.TarStats"/> tells it)
/// and reports each change to the sink. Dispose it on every path: a run that did not <see cref="Finish"/> is reported failed.
/// </summary>
public sealed class ProgressMeter : IDisposable
{
    private readonly IProgressSink _sink;
    private readonly string _operation;
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

    public void Dispose()
    {
        if (!_ended)
        {
            _ended = true;
            Send(ProgressPhase.Failed);
        }
    }

    private void Send(ProgressPhase phase) => _sink.Report(new ProgressReport(phase, _operation, _volume, Bytes, _total));
}
