using BackupAgent.Core.Engine;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The total a backup's (or a migration's) progress expects, before anything is read: per source, the tar bytes of
/// its latest archive of the same kind in the store (full for a full read, an incremental for an incremental one),
/// else, for a full read, what <see cref="SizeHelper"/> (<c>du -s</c>, read-only) counts; nothing is written anywhere.
/// Null when a source has neither (an incremental with no earlier incremental): progress then shows bytes and rate only.
/// </summary>
internal static class SourceSizes
{
    public static async Task<long?> EstimateAsync(
        IContainerEngine engine, IBackupStore? store, IReadOnlyList<BackupSource> sources, IReadOnlyList<ChainStart?>? chains, ILogger log, CancellationToken cancellationToken)
    {
        var previous = store is null ? [] : await ListAsync(store, log, cancellationToken);
        long total = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            var source = sources[i];
            var incremental = chains?[i] is { Level: > 0 };
            var recorded = previous
                .OrderByDescending(s => s.CreatedAt)
                .Select(s => s.Archives.FirstOrDefault(a => a.Volume == source.Volume && a.Kind == source.Kind && (a.Level > 0) == incremental))
                .FirstOrDefault(a => a is not null);
            var bytes = recorded?.TarBytes ?? (incremental ? null : await MeasureAsync(engine, source, log, cancellationToken));
            if (bytes is null)
            {
                return null;
            }

            total += bytes.Value;
        }

        return total;
    }

    private static async Task<IReadOnlyList<BackupSet>> ListAsync(IBackupStore store, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            return await new BackupCatalog(store).ListAsync(null, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Debug("No earlier sizes for the progress: {Error}", e.Message);
            return [];
        }
    }

    private static async Task<long?> MeasureAsync(IContainerEngine engine, BackupSource source, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            return await SizeHelper.MeasureAsync(engine, source.Reader, source.Volume, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Debug("The size of {Volume} is unknown, progress shows no total: {Error}", source.Volume, e.Message);
            return null;
        }
    }
}
