using BackupAgent.Core.Consistency;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Writes one backup set into a store, the one way backup and <c>migrate --via</c> make sets: the archives first
/// (<see cref="WriteAsync"/>, while the window holds the sources still), then the manifest last, with the size-drop
/// warnings and the downtimes (<see cref="CommitAsync"/>). Until the manifest is written, disposing the writer
/// removes everything it wrote, on every path: a set without a manifest is never listed, and leaves nothing behind.
/// </summary>
public sealed class SetWriter(IContainerEngine engine, IBackupStore store, string id, Compression compression, ArchiveKey? key, ILogger log) : IAsyncDisposable
{
    private readonly List<ArchiveInfo> _archives = [];
    private bool _committed;

    public string Id => id;

    public IReadOnlyList<ArchiveInfo> Archives => _archives;

    /// <summary>The run's progress, told of every tar byte read.</summary>
    public ProgressMeter? Progress { get; init; }

    /// <summary>Archives one source into the set; null when it is not a directory (skipped with a warning).</summary>
    public Task<ArchiveInfo?> WriteAsync(BackupSource source, CancellationToken cancellationToken) => WriteAsync(source, null, cancellationToken);

    /// <summary>As <see cref="WriteAsync(BackupSource, CancellationToken)"/>; given <paramref name="chain"/>, the archive takes its place in a chain (docs/incremental.md).</summary>
    internal async Task<ArchiveInfo?> WriteAsync(BackupSource source, ChainStart? chain, CancellationToken cancellationToken)
    {
        var archive = await new SourceArchiver(engine, store, log, Progress).ArchiveAsync(id, source, compression, key, chain, cancellationToken);
        if (archive is not null)
        {
            _archives.Add(archive);
        }

        return archive;
    }

    /// <summary>Fails when no source could be read (each was skipped): a set needs an archive.</summary>
    public void RequireArchives()
    {
        if (_archives.Count == 0)
        {
            throw new BackupAgentException("nothing was backed up: no source could be read as a directory");
        }
    }

    /// <summary>Writes the manifest (the set exists from then on) and returns the set.</summary>
    public async Task<BackupSet> CommitAsync(DateTimeOffset createdAt, string? sourceContainer, IReadOnlyList<Downtime> downtimes, CancellationToken cancellationToken)
    {
        RequireArchives();

        var catalog = new BackupCatalog(store);
        var set = new BackupSet
        {
            Id = id,
            CreatedAt = createdAt,
            ToolVersion = ToolVersion.Current,
            SourceContainer = sourceContainer,
            Archives = _archives,
            Downtimes = downtimes,
            Warnings = await SizeDrops.FindAsync(catalog, _archives, cancellationToken),
        };
        await catalog.SaveAsync(set, key, cancellationToken);

        // A prune running beside this backup may have deleted a base it chose. Checked once the manifest is written, so
        // that either the prune's second listing sees this level (and keeps the base), or this check sees the base gone.
        if (await MissingBaseAsync(catalog, _archives, cancellationToken) is { } gone)
        {
            throw new BackupAgentException($"the base set '{gone.Base}' of '{gone.Volume}' was deleted while this backup ran (a prune beside it?), so this level could not be restored and was not kept: run the backup again");
        }

        _committed = true;
        return set;
    }

    /// <summary>The first archive whose base set the store no longer lists (a set whose manifest cannot be read is there), or null.</summary>
    internal static async Task<ArchiveInfo?> MissingBaseAsync(BackupCatalog catalog, IEnumerable<ArchiveInfo> archives, CancellationToken cancellationToken)
    {
        foreach (var archive in archives.Where(a => a.Base is not null))
        {
            try
            {
                if (await catalog.FindAsync(archive.Base!, cancellationToken) is null)
                {
                    return archive;
                }
            }
            catch (UnreadableManifestException)
            {
            }
        }

        return null;
    }

    /// <summary>Removes what an uncommitted set wrote (its manifest if a failed save left one, archives, indexes and manifest MAC).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_committed)
        {
            return;
        }

        // The manifest first: a save that reported a failure may still have landed (an S3 timeout).
        foreach (var item in SetLayout.ArchiveItems(id, _archives).Prepend(SetLayout.Manifest(id)).Append(SetLayout.Mac(id)))
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
    }
}
