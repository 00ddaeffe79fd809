using BackupAgent.Core.Engine;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// Indexes every file of a volume (or host path) the agent wrote and nothing else writes (a deep verify's scratch
/// volume, a migration's target): a <see cref="TarReadHelper"/> reads it, and only a complete read counts (a file that
/// changed as it was read is a failure here, not a warning).
/// </summary>
public static class IndexHelper
{
    public static async Task<List<TarIndexEntry>> IndexAsync(IContainerEngine engine, string volume, CancellationToken cancellationToken)
    {
        await using var reader = await TarReadHelper.OfVolume(volume, $"deep verify of {volume}").StartAsync(engine, $"reading the scratch volume {volume}", cancellationToken);
        var index = await TarIndex.BuildAsync(reader.Tar, cancellationToken);
        var read = await reader.WaitAsync(cancellationToken);
        return read.Outcome == TarReadOutcome.Complete ? index : throw read.Failure();
    }
}
