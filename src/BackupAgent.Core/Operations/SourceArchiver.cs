using System.Threading.Channels;
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
/// Archives one source: a helper streams its tar, which is counted, indexed per file, compressed, encrypted and
/// hashed on its way into the store; then the per-file index is written beside the archive.
/// </summary>
internal sealed class SourceArchiver(IContainerEngine engine, IBackupStore store, ILogger log)
{
    /// <summary>Returns the archive, or null when the source is not a directory (skipped with a warning).</summary>
    public async Task<ArchiveInfo?> ArchiveAsync(string setId, BackupSource source, Compression compression, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var encryptedSuffix = key is null ? "" : ".enc";
        var file = source.FileStem + compression.FileExtension() + encryptedSuffix;
        var indexFile = file + ".index.jsonl.gz" + encryptedSuffix;
        log.Information("Reading {Kind} {Volume} into {File}", source.Kind, source.Volume, file);

        // The index is written beside the archive as its entries pass, and committed only once the archive is.
        var entries = Channel.CreateBounded<TarIndexEntry>(1024);
        var archiveCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var indexWrite = store.WriteAsync($"{setId}/{indexFile}", async (output, ct) =>
        {
            await using var writer = new ArchiveWriter(output, Compression.Gzip, key);
            await TarIndex.WriteAsync(entries.Reader.ReadAllAsync(ct), writer.Input, ct);
            await archiveCommitted.Task.WaitAsync(ct);
            await writer.FinishAsync(ct);
        }, cancellationToken);

        TarStats? stats = null;
        ArchiveWriter? written = null;
        try
        {
            await store.WriteAsync($"{setId}/{file}", async (output, ct) =>
            {
                await using var reader = await source.Reader.StartAsync(engine, $"reading {source.Kind.ToString().ToLowerInvariant()} '{source.Volume}'", ct);
                await using var indexer = new IndexingTee((entry, c) => entries.Writer.WriteAsync(entry, c), ct);
                await using var archive = written = new ArchiveWriter(output, compression, key);
                var tar = new TarStatsStream(indexer.Observe(reader.Tar));
                await tar.CopyToAsync(archive.Input, 1 << 20, ct);
                await archive.FinishAsync(ct);
                stats = tar.Stats;
                await CheckExitAsync(reader, source, stats, ct);
                await indexer.FinishAsync();
                entries.Writer.Complete();
            }, cancellationToken);
        }
        catch (Exception failure)
        {
            entries.Writer.TryComplete(failure);
            archiveCommitted.TrySetException(failure);
            await IgnoreFailureAsync(indexWrite);
            if (failure is SkippedSourceException)
            {
                log.Warning("Skipping {Volume} at {MountPath}: {Reason}", source.Volume, source.MountPath, failure.Message);
                return null;
            }

            throw;
        }

        archiveCommitted.SetResult();
        try
        {
            await indexWrite;
        }
        catch
        {
            await store.DeleteAsync($"{setId}/{file}", CancellationToken.None);
            throw;
        }

        return source.Describe(file, compression, key is null ? null : EncryptionFormat.Name, written!, stats!) with { Index = indexFile };
    }

    /// <summary>Waits for a write that is being abandoned; its failure is the consequence of another one.</summary>
    private static async Task IgnoreFailureAsync(Task write)
    {
        try
        {
            await write;
        }
        catch (Exception)
        {
        }
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
