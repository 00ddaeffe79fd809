using System.Text.Json;
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
/// A restore drill: unpacks an archive into a scratch volume through a helper, reads the result back as a tar and
/// compares every entry (type, mode, owner, mtime, size, content hash, link) with the index recorded at backup
/// time. The archive is read once, checked (size, SHA-256, entries) as it is unpacked. The scratch volume is removed
/// on every path.
/// </summary>
public sealed class DeepVerify(IContainerEngine engine, IBackupStore store, ILogger log)
{
    /// <summary>The most entries a tree index may hold: it is held in memory (a few hundred bytes an entry), when a level is verified deeply or continued.</summary>
    public const int MaxTreeEntries = 1 << 22;

    /// <summary>The most a tree index may hold before gzip and encryption (its entries' JSON lines).</summary>
    public const long MaxTreeIndexBytes = 1L << 30;

    /// <summary>What is wrong with the archive: read once, into the scratch volume, then compared file by file.</summary>
    public Task<IReadOnlyList<string>> ProblemsAsync(BackupSet set, ArchiveInfo archive, ArchiveKey? key, CancellationToken cancellationToken) =>
        ProblemsAsync([new ChainLink(set, archive)], key, cancellationToken);

    /// <summary>
    /// What is wrong with the last archive of <paramref name="chain"/> (full first): every archive of it is read once,
    /// into the scratch volume in order, and the result compared with the index of the whole tree at that point.
    /// </summary>
    public async Task<IReadOnlyList<string>> ProblemsAsync(IReadOnlyList<ChainLink> chain, ArchiveKey? key, CancellationToken cancellationToken, ProgressMeter? progress = null)
    {
        var (set, archive) = (chain[^1].Set, chain[^1].Archive);
        if (archive.StoredTree() is not { } tree)
        {
            var read = new List<string>();
            foreach (var link in chain)
            {
                read.AddRange(await ArchiveRead.ProblemsAsync(store, link.Set, link.Archive, key, null, cancellationToken, progress));
            }

            return [.. read, $"archive '{archive.File}' has no per-file index{(archive.Level > 0 ? " of the whole tree" : "")}: it cannot be verified deeply"];
        }

        var expected = await ReadIndexAsync(store, set, archive, tree, key, cancellationToken);

        var scratch = await engine.CreateScratchVolumeAsync($"deep verify of {archive.Volume}", cancellationToken);
        try
        {
            log.Information("Restoring {Volume} into the scratch volume {Scratch} to compare every file", archive.Volume, scratch);
            var target = new StagedTarget(engine, scratch, StagedTarget.NewToken());
            var problems = await target.StageChainAsync(store, chain, key, replacing: false, cancellationToken, progress);
            if (problems.Count > 0)
            {
                return problems;
            }

            await target.CommitAsync(cancellationToken);
            var actual = await IndexHelper.IndexAsync(engine, scratch, cancellationToken);
            return TarIndex.Compare(expected, actual).Select(d => $"restored '{archive.Volume}': {d}").ToList();
        }
        finally
        {
            await engine.RemoveVolumeAsync(scratch, CancellationToken.None);
        }
    }

    /// <summary>Reads the per-file index recorded beside an archive at backup time, checked against its pin in the manifest (sets that pin it).</summary>
    internal static Task<List<TarIndexEntry>> ReadIndexAsync(IBackupStore store, BackupSet set, ArchiveInfo archive, ArchiveKey? key, CancellationToken cancellationToken) =>
        ReadIndexAsync(store, set, archive, archive.StoredIndex()!, key, cancellationToken);

    /// <summary>Reads an index item of an archive (its own, or the index of the whole tree), checked against its pin.</summary>
    internal static async Task<List<TarIndexEntry>> ReadIndexAsync(IBackupStore store, BackupSet set, ArchiveInfo archive, StoredItem item, ArchiveKey? key, CancellationToken cancellationToken)
    {
        await using var reader = await ItemReader.OpenAsync(store, set.Id, item, key, cancellationToken);
        List<TarIndexEntry>? entries = null;
        Exception? unreadable = null;
        try
        {
            // An archive's own index holds no more entries than it; a tree index exactly the entries its manifest
            // declares (sets made before that was recorded: at most the hard cap). Either is held in memory, so a hostile
            // store's gzip bomb or endless line stops there too: at most 4 KiB a line on average (a path and a few fields).
            var tree = item.Kind == "tree index";
            var maxEntries = tree ? Math.Min(archive.TreeEntries ?? MaxTreeEntries, MaxTreeEntries) : archive.Files;
            if (tree && archive.TreeEntries > MaxTreeEntries)
            {
                throw new BackupAgentException($"tree index '{item.File}' of '{archive.Volume}' is declared to hold {archive.TreeEntries} entries, more than the {MaxTreeEntries} the agent reads back");
            }

            entries = await TarIndex.ReadAsync(reader.Plaintext, cancellationToken, maxEntries, maxBytes: Math.Min(maxEntries * 4096 + 65536, tree ? MaxTreeIndexBytes : long.MaxValue));
            if (tree && archive.TreeEntries is { } declared && entries.Count != declared)
            {
                throw new InvalidDataException($"it holds {entries.Count} entries; its manifest declares {declared}");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or BackupAgentException)
        {
            unreadable = e;
        }

        // A pinned index that was changed says so, before what the change broke.
        if (await reader.CheckAsync(cancellationToken) is { } corrupt)
        {
            throw new BackupAgentException(corrupt);
        }

        return entries ?? throw (unreadable is BackupAgentException damaged ? damaged
            : new BackupAgentException($"index '{archive.Index}' of '{archive.Volume}' cannot be read: {unreadable!.Message}", inner: unreadable));
    }
}
