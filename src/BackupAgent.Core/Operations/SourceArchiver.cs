using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Archives one source: a helper streams its tar, which is counted and indexed per file in one pass as it is read,
/// and compressed, encrypted and hashed on its way into the store on a second thread; the per-file index is written
/// beside the archive as its entries pass, and committed (with its own size and SHA-256) only once the archive is.
/// </summary>
internal sealed class SourceArchiver(IContainerEngine engine, IBackupStore store, ILogger log)
{
    /// <summary>Returns the archive, or null when the source is not a directory (skipped with a warning).</summary>
    public async Task<ArchiveInfo?> ArchiveAsync(string setId, BackupSource source, Compression compression, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var file = SetLayout.ArchiveFile(source.FileStem, compression, key?.Format);
        var indexFile = SetLayout.IndexFile(file, key?.Format);
        log.Information("Reading {Kind} {Volume} into {File}", source.Kind, source.Volume, file);

        await using var index = new IndexWriter(store, SetLayout.Item(setId, indexFile), key, cancellationToken);
        TarStats? stats = null;
        ArchiveWriter? written = null;
        try
        {
            await store.WriteAsync(SetLayout.Item(setId, file), async (output, ct) =>
            {
                await using var reader = await source.Reader.StartAsync(engine, $"reading {source.Kind.ToString().ToLowerInvariant()} '{source.Volume}'", ct);
                await using var archive = written = new ArchiveWriter(output, compression, key);
                var tar = new TarStatsStream(reader.Tar, index.AddAsync);
                await OverlappedCopy.CopyAsync(tar, archive.Input, ct);
                await archive.FinishAsync(ct);
                stats = tar.Stats;
                await CheckExitAsync(reader, source, stats, ct);
            }, cancellationToken);
        }
        catch (SkippedSourceException skipped)
        {
            log.Warning("Skipping {Volume} at {MountPath}: {Reason}", source.Volume, source.MountPath, skipped.Message);
            return null;
        }

        (long Bytes, string Sha256) indexed;
        try
        {
            indexed = await index.CommitAsync();
        }
        catch
        {
            await store.DeleteAsync(SetLayout.Item(setId, file), CancellationToken.None);
            throw;
        }

        return source.Describe(file, compression, key?.Format, written!, stats!) with
        {
            Index = indexFile,
            IndexBytes = indexed.Bytes,
            IndexSha256 = indexed.Sha256,
        };
    }

    private async Task CheckExitAsync(TarReadHelper.Running reader, BackupSource source, TarStats stats, CancellationToken cancellationToken)
    {
        var read = await reader.WaitAsync(cancellationToken);
        if (read.Outcome == TarReadOutcome.NotADirectory)
        {
            throw new SkippedSourceException(read.Message);
        }

        if (read.Outcome == TarReadOutcome.FilesChanged)
        {
            // The archive is complete.
            log.Warning("Files of {Volume} changed while they were read: {Stderr}", source.Volume, read.Message);
        }

        if (!stats.Ended)
        {
            throw new BackupAgentException($"reading '{source.Volume}': the tar stream ended early (no end-of-archive marker)");
        }
    }

    private sealed class SkippedSourceException(string message) : Exception(message);
}
