using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Archives one source: a helper streams its tar, which is counted and indexed per file in one pass as it is read,
/// and compressed, encrypted and hashed on its way into the store on a second thread; the per-file index is written
/// beside the archive as its entries pass, and committed (with its own size and SHA-256) only once the archive is.
/// </summary>
internal sealed class SourceArchiver(IContainerEngine engine, IBackupStore store, ILogger log, ProgressMeter? progress = null)
{
    /// <summary>
    /// Returns the archive, or null when the source is not a directory (skipped with a warning). Given a
    /// <paramref name="chain"/>, the read is GNU tar's listed-incremental one on the snapshot file (the base's, checked,
    /// or none for a level 0), handed to the helper as its work file (or, where the engine cannot share files, in a
    /// scratch volume of its own); the updated file is stored beside the archive.
    /// </summary>
    public async Task<ArchiveInfo?> ArchiveAsync(string setId, BackupSource source, Compression compression, ArchiveKey? key, ChainStart? chain, CancellationToken cancellationToken)
    {
        if (chain is null)
        {
            return (await ArchiveAsync(setId, source, source.Reader, compression, key, cancellationToken)).Archive;
        }

        try
        {
            return await ArchiveInChainAsync(setId, source, compression, key, chain, cancellationToken);
        }
        catch (OtherRootException e)
        {
            // Nothing was read: the snapshot file belongs to a directory that is gone. A new chain starts here.
            log.Warning("Backing up {Volume} in full, starting a new chain: {Reason}", source.Volume, e.Message);
            return await ArchiveInChainAsync(setId, source, compression, key, chain with { Base = null, Snapshot = null, BaseTree = null, FullReason = e.Message }, cancellationToken);
        }
    }

    private async Task<ArchiveInfo?> ArchiveInChainAsync(string setId, BackupSource source, Compression compression, ArchiveKey? key, ChainStart chain, CancellationToken cancellationToken)
    {
        // Where the engine can hand the helper a file of the agent's (a local engine), the snapshot file goes in and
        // out beside the helper's FIFO: one helper. Elsewhere (a remote engine) a scratch volume holds it, which two
        // more helpers fill and empty.
        var shared = await engine.CanShareFilesAsync(cancellationToken);
        var scratch = shared ? null : await engine.CreateScratchVolumeAsync($"snapshot file of {source.Volume}", cancellationToken);
        Stream? updated = null;
        try
        {
            if (scratch is not null && chain.Snapshot is { } snapshot)
            {
                await SnapshotHelper.PutAsync(engine, scratch, snapshot, source.Volume, cancellationToken);
            }

            var root = chain.Base?.Archive.RootInode;
            var since = chain.Snapshot is { } based ? ChainStart.DumpTime(based) : null;
            var helper = scratch is null ? source.Reader.Incremental(chain.Snapshot ?? [], root, since) : source.Reader.Incremental(scratch, root, since);
            var tree = chain.BaseTree is null ? null : new IncrementalTree();
            var (read, readRoot) = await ArchiveAsync(setId, source, helper, compression, key, cancellationToken, tree, scratch is not null ? null : reader =>
            {
                updated?.Dispose();
                updated = reader.TakeSnapshotFile();
            });
            if (read is not { } archive)
            {
                return null;
            }

            var snapshotFile = SetLayout.SnapshotFile(archive.File, key?.Format);
            string? treeFile = null;
            (long Bytes, string Sha256) stored = default;
            (long? Bytes, string? Sha256) treeStored = default;
            (long Snapshot, long? Tree) plain = default;
            try
            {
                // The index of the whole tree at this point, for a deep verify of this level.
                if (tree is not null && BuildTree(tree, await chain.BaseTree!, source) is { } entries)
                {
                    treeFile = SetLayout.TreeFile(archive.File, key?.Format);
                    plain.Tree = entries.Count;
                    treeStored = await WriteGzipAsync(SetLayout.Item(setId, treeFile), key, (input, c) => TarIndex.WriteAsync(entries.ToAsyncEnumerable(), input, c), cancellationToken);
                }

                // The snapshot file is stored as tar left it, its plain size counted for the manifest (a reader
                // takes no more than that).
                async Task<(long Bytes, string Sha256)> StoreSnapshotAsync(Stream snar, CancellationToken ct) =>
                    await WriteGzipAsync(SetLayout.Item(setId, snapshotFile), key, async (input, c) =>
                    {
                        await using var counted = new HashingStream(input);
                        await snar.CopyToAsync(counted, OverlappedCopy.BufferBytes, c);
                        plain.Snapshot = counted.Bytes;
                    }, ct);

                if (updated is { } snar)
                {
                    stored = snar.Length > 0
                        ? await StoreSnapshotAsync(snar, cancellationToken)
                        : throw new BackupAgentException($"reading '{source.Volume}': tar wrote no snapshot file");
                }
                else
                {
                    await SnapshotHelper.ReadAsync(engine, scratch!, source.Volume, async (snar, ct) => stored = await StoreSnapshotAsync(snar, ct), cancellationToken);
                }
            }
            catch
            {
                foreach (var file in new[] { archive.File, archive.Index!, treeFile, snapshotFile }.OfType<string>())
                {
                    await store.DeleteAsync(SetLayout.Item(setId, file), CancellationToken.None);
                }

                throw;
            }

            return archive with
            {
                Level = chain.Level,
                Base = chain.Base?.Set.Id,
                Snapshot = snapshotFile,
                SnapshotBytes = stored.Bytes,
                SnapshotSha256 = stored.Sha256,
                SnapshotPlainBytes = plain.Snapshot,
                Engine = chain.Engine,
                RootInode = readRoot,
                Tree = treeFile,
                TreeBytes = treeStored.Bytes,
                TreeSha256 = treeStored.Sha256,
                TreeEntries = plain.Tree,
                FullReason = chain.FullReason,
            };
        }
        finally
        {
            if (updated is not null)
            {
                await updated.DisposeAsync();
            }

            if (scratch is not null)
            {
                await engine.RemoveVolumeAsync(scratch, CancellationToken.None);
            }
        }
    }

    /// <summary>Writes an item of the set, gzip'd (and encrypted with the set's key), and returns its stored size and SHA-256.</summary>
    private async Task<(long Bytes, string Sha256)> WriteGzipAsync(string item, ArchiveKey? key, Func<Stream, CancellationToken, Task> content, CancellationToken cancellationToken)
    {
        (long Bytes, string Sha256) stored = default;
        await store.WriteAsync(item, async (output, c) =>
        {
            await using var writer = new ArchiveWriter(output, Compression.Gzip, key);
            await content(writer.Input, c);
            await writer.FinishAsync(c);
            stored = (writer.Bytes, writer.Sha256);
        }, cancellationToken);
        return stored;
    }

    /// <summary>The tree after the archive; null (with a warning: the archive is intact, only a deep verify of it cannot be made) when it does not fit its base's.</summary>
    private List<TarIndexEntry>? BuildTree(IncrementalTree tree, BaseTree before, BackupSource source)
    {
        if (before.Entries is null)
        {
            log.Warning("No index of the whole tree of {Volume} is written (a deep verify of this level is not possible; its next level is a new full): {Reason}", source.Volume, before.Problem);
            return null;
        }

        try
        {
            return tree.Build(before.Entries);
        }
        catch (InvalidDataException e)
        {
            log.Warning("No index of the whole tree of {Volume} is written (a deep verify of this level is not possible): {Reason}", source.Volume, e.Message);
            return null;
        }
    }

    private async Task<(ArchiveInfo? Archive, string? RootInode)> ArchiveAsync(
        string setId, BackupSource source, TarReadHelper helper, Compression compression, ArchiveKey? key, CancellationToken cancellationToken,
        IncrementalTree? tree = null, Action<TarReadHelper.Running>? ended = null)
    {
        string? root = null;
        var file = SetLayout.ArchiveFile(source.FileStem, compression, key?.Format);
        var indexFile = SetLayout.IndexFile(file, key?.Format);
        progress?.Volume(source.Volume);
        log.Information("Reading {Kind} {Volume} into {File}", source.Kind, source.Volume, file);

        await using var index = new IndexWriter(store, SetLayout.Item(setId, indexFile), key, cancellationToken);
        TarStats? stats = null;
        ArchiveWriter? written = null;
        try
        {
            await store.WriteAsync(SetLayout.Item(setId, file), async (output, ct) =>
            {
                await using var reader = await helper.StartAsync(engine, $"reading {source.Kind.ToString().ToLowerInvariant()} '{source.Volume}'", ct);
                await using var archive = written = new ArchiveWriter(output, compression, key);
                var tar = tree is null ? new TarStatsStream(reader.Tar, index.AddAsync, progress: progress)
                    : new TarStatsStream(reader.Tar, async (entry, c) =>
                    {
                        tree.Add(entry);
                        await index.AddAsync(entry, c);
                    }, tree.AddDumpDir, progress);
                await OverlappedCopy.CopyAsync(tar, archive.Input, ct);
                await archive.FinishAsync(ct);
                stats = tar.Stats;
                root = await CheckExitAsync(reader, source, stats, ct);
                ended?.Invoke(reader); // before the helper is removed
            }, cancellationToken);
        }
        catch (SkippedSourceException skipped)
        {
            log.Warning("Skipping {Volume} at {MountPath}: {Reason}", source.Volume, source.MountPath, skipped.Message);
            return (null, null);
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

        return (source.Describe(file, compression, key?.Format, written!, stats!) with
        {
            Index = indexFile,
            IndexBytes = indexed.Bytes,
            IndexSha256 = indexed.Sha256,
        }, root);
    }

    /// <summary>Checks how the read ended; returns the inode of the source's root directory when an incremental read reported it.</summary>
    private async Task<string?> CheckExitAsync(TarReadHelper.Running reader, BackupSource source, TarStats stats, CancellationToken cancellationToken)
    {
        var read = await reader.WaitAsync(cancellationToken);
        if (read.Outcome == TarReadOutcome.NotADirectory)
        {
            throw new SkippedSourceException(read.Message);
        }

        if (read.Outcome == TarReadOutcome.OtherRoot)
        {
            throw new OtherRootException($"the root directory of '{source.Volume}' is not the one its latest backup's snapshot file was made on: {read.Message}");
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

        return read.RootInode;
    }

    private sealed class SkippedSourceException(string message) : Exception(message);

    private sealed class OtherRootException(string message) : Exception(message);
}
