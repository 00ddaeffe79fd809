using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record BackupRequest(IReadOnlyList<string> Volumes, string? Container, Compression Compression);

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
                if (await BackupOneAsync(id, source, request.Compression, cancellationToken) is { } archive)
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
            };
            await new BackupCatalog(store).SaveAsync(set, cancellationToken);
            log.Information("Backup set {SetId} is complete: {Count} archive(s), {Bytes} bytes", id, archives.Count, archives.Sum(a => a.Bytes));
            return set;
        }
        catch
        {
            foreach (var archive in archives)
            {
                try
                {
                    await store.DeleteAsync($"{id}/{archive.File}", CancellationToken.None);
                }
                catch (BackupAgentException e)
                {
                    // The set has no manifest, so it is never listed; the first error is the one to report.
                    log.Warning("Could not remove {File} of the failed set {SetId}: {Error}", archive.File, id, e.Message);
                }
            }

            throw;
        }
    }

    private async Task<ArchiveInfo?> BackupOneAsync(string setId, BackupSource source, Compression compression, CancellationToken cancellationToken)
    {
        var file = source.FileStem + compression.FileExtension();
        log.Information("Reading {Kind} {Volume} into {File}", source.Kind, source.Volume, file);
        TarStats? stats = null;
        HashingStream? hashed = null;
        try
        {
            await store.WriteAsync($"{setId}/{file}", async (output, ct) =>
            {
                await using var helper = await engine.StartHelperAsync(source.Helper, ct);
                hashed = new HashingStream(output);
                await using (var compressed = compression.Compress(hashed))
                {
                    var tar = new TarStatsStream(helper.StandardOutput);
                    await tar.CopyToAsync(compressed, 1 << 20, ct);
                    stats = tar.Stats;
                }

                var exit = await helper.WaitAsync(ct);
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
            }, cancellationToken);
        }
        catch (SkippedSourceException e)
        {
            log.Warning("Skipping {Volume} at {MountPath}: {Reason}", source.Volume, source.MountPath, e.Message);
            return null;
        }

        return source.Describe(file, compression, hashed!, stats!);
    }

    private sealed class SkippedSourceException(string message) : Exception(message);
}
