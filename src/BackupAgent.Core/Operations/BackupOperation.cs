using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record BackupRequest(IReadOnlyList<string> Volumes, string? Container, Compression Compression, ArchiveKey? Key = null);

/// <summary>
/// One backup run: one helper per volume streams a tar, which the agent compresses and hashes on its way
/// into the store. The manifest is written last; on failure the archives already written are removed.
/// </summary>
public sealed class BackupOperation(IContainerEngine engine, IBackupStore store, ILogger log, TimeProvider clock)
{
    public async Task<BackupSet> RunAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        await engine.PrepareAsync(cancellationToken);
        var sources = await BackupSources.PlanAsync(engine, request, cancellationToken);
        var createdAt = clock.GetUtcNow();
        var id = BackupSetId.New(createdAt);
        log.Information("Backing up {Count} source(s) into set {SetId} at {Store}", sources.Count, id, store.Location);

        var archives = new List<ArchiveInfo>();
        try
        {
            foreach (var source in sources)
            {
                if (await BackupOneAsync(id, source, request.Compression, request.Key, cancellationToken) is { } archive)
                {
                    archives.Add(archive);
                }
            }

            if (archives.Count == 0)
            {
                throw new BackupAgentException("nothing was backed up: no source could be read as a directory");
            }

            var set = new BackupSet
            {
                Id = id,
                CreatedAt = createdAt,
                ToolVersion = ToolVersion.Current,
                SourceContainer = request.Container,
                Archives = archives,
                Warnings = await SizeDrops.FindAsync(new BackupCatalog(store), archives, cancellationToken),
            };
            foreach (var warning in set.Warnings)
            {
                log.Warning("{Warning}", warning);
            }

            await new BackupCatalog(store).SaveAsync(set, cancellationToken);
            log.Information("Backup set {SetId} is complete: {Count} archive(s), {Bytes} bytes", id, archives.Count, archives.Sum(a => a.Bytes));
            return set;
        }
        catch
        {
            var partial = new BackupSet { Id = id, CreatedAt = createdAt, ToolVersion = ToolVersion.Current, Archives = archives };
            foreach (var item in partial.ArchiveItems())
            {
                try
                {
                    await store.DeleteAsync(item, CancellationToken.None);
                }
                catch (BackupAgentException e)
                {
                    // The set has no manifest, so it is never listed; the first error is the one to report.
                    log.Warning("Could not remove {Item} of the failed set {SetId}: {Error}", item, id, e.Message);
                }
            }

            throw;
        }
    }

    private async Task<ArchiveInfo?> BackupOneAsync(string setId, BackupSource source, Compression compression, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var encryptedSuffix = key is null ? "" : ".enc";
        var file = source.FileStem + compression.FileExtension() + encryptedSuffix;
        log.Information("Reading {Kind} {Volume} into {File}", source.Kind, source.Volume, file);
        TarStats? stats = null;
        ArchiveWriter? written = null;
        List<TarIndexEntry>? index = null;
        try
        {
            await store.WriteAsync($"{setId}/{file}", async (output, ct) =>
            {
                await using var helper = await engine.StartHelperAsync(source.Helper, ct);
                await using var indexer = new IndexingTee(ct);
                await using var archive = written = new ArchiveWriter(output, compression, key);
                var tar = new TarStatsStream(indexer.Observe(helper.StandardOutput));
                await tar.CopyToAsync(archive.Input, 1 << 20, ct);
                await archive.FinishAsync(ct);
                stats = tar.Stats;
                await CheckExitAsync(helper, source, stats, ct);
                index = await indexer.FinishAsync();
            }, cancellationToken);
        }
        catch (SkippedSourceException e)
        {
            log.Warning("Skipping {Volume} at {MountPath}: {Reason}", source.Volume, source.MountPath, e.Message);
            return null;
        }

        var indexFile = file + ".index.jsonl.gz" + encryptedSuffix;
        try
        {
            await store.WriteAsync($"{setId}/{indexFile}", async (output, ct) =>
            {
                await using var writer = new ArchiveWriter(output, Compression.Gzip, key);
                await TarIndex.WriteAsync(index!, writer.Input, ct);
                await writer.FinishAsync(ct);
            }, cancellationToken);
        }
        catch
        {
            await store.DeleteAsync($"{setId}/{file}", CancellationToken.None);
            throw;
        }

        return source.Describe(file, compression, key is null ? null : EncryptionFormat.Name, written!, stats!) with { Index = indexFile };
    }

    private async Task CheckExitAsync(IHelper helper, BackupSource source, TarStats stats, CancellationToken cancellationToken)
    {
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode == HelperCommands.NotADirectory)
        {
            throw new SkippedSourceException(exit.Stderr.Trim());
        }

        if (exit.ExitCode == 1)
        {
            // GNU tar's 1 means "some files changed while being read"; the archive is complete.
            log.Warning("Files of {Volume} changed while they were read: {Stderr}", source.Volume, exit.Stderr.Trim());
        }
        else if (exit.ExitCode != 0)
        {
            throw new HelperFailedException($"reading {source.Kind.ToString().ToLowerInvariant()} '{source.Volume}'", exit.ExitCode, exit.Stderr);
        }

        if (!stats.Ended)
        {
            throw new BackupAgentException($"reading '{source.Volume}': the tar stream ended early (no end-of-archive marker)");
        }
    }

    private sealed class SkippedSourceException(string message) : Exception(message);
}
