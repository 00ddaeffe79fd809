namespace BackupAgent.Core.Progress;

/// <summary>
/// Where a run's progress goes (a backup, restore, verify or migration): <see cref="ProgressMeter"/> reports each
/// change, from the one place every tar of a run passes (<see cref="Formats.TarStats"/>); a renderer decides what to
/// show and when (<see cref="TtyProgress"/>, <see cref="PlainProgress"/>, <see cref="JsonProgress"/>).
/// </summary>
public interface IProgressSink
{
    /// <summary>Called on the thread that moves the bytes, as often as they pass: it must be quick and must not throw.</summary>
    void Report(ProgressReport report);

    /// <summary>
    /// How long a run lasts before this sink first shows a total: an estimated total (a <c>du</c> helper, a listing of
    /// the store) is only worked out then, so a sink that stays quiet in short runs costs them nothing.
    /// </summary>
    TimeSpan QuietFor => TimeSpan.Zero;
}

public enum ProgressPhase
{
    /// <summary>The run starts moving data.</summary>
    Started,

    /// <summary>The run starts on a volume (<see cref="ProgressReport.Volume"/>).</summary>
    Volume,

    /// <summary>Bytes passed.</summary>
    Bytes,

    /// <summary>Every byte of the run has passed (what follows moves no data: a manifest, restarts, a comparison).</summary>
    Finished,

    /// <summary>The run ended without finishing.</summary>
    Failed,
}

/// <summary>
/// The state of a run: the tar bytes that passed so far, of <paramref name="Total"/> expected: exact for a restore and a
/// verify (the manifests say it), an estimate for a backup and a migration, null when there is none.
/// </summary>
public readonly record struct ProgressReport(ProgressPhase Phase, string Operation, string? Volume, long Bytes, long? Total);
