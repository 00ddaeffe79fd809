using BackupAgent.Core.Crypto;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Tests.Support;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Unit;

/// <summary>
/// The order in which prune changes the store, against a store in memory that records it: a set's manifest goes
/// first (from then on it is not listed), then its archives and indexes, its MAC last; leftovers are swept after.
/// </summary>
public sealed class PruneOrderTests
{
    private readonly MemoryStore _store = new();

    [Fact]
    public async Task A_pruned_set_loses_its_manifest_first_then_its_archives_and_indexes_and_its_mac_last()
    {
        var old = await SaveAsync("20200101T000000Z-aaaaaa", ArchiveKey.FromPassphrase("prune"), "db", "web");
        await SaveAsync("20200102T000000Z-bbbbbb", key: null, "db", "web");

        await PruneAsync(new RetentionPolicy { Last = 1 });

        Assert.Equal(
        [
            $"delete {old}/manifest.json",
            $"delete {old}/db.tar.zst", $"delete {old}/db.tar.zst.index.jsonl.gz",
            $"delete {old}/web.tar.zst", $"delete {old}/web.tar.zst.index.jsonl.gz",
            $"delete {old}/manifest.mac",
        ], Deletes());
    }

    [Fact]
    public async Task Leftovers_of_an_interrupted_run_are_swept_after_the_pruned_sets_and_kept_sets_are_not_touched()
    {
        var old = await SaveAsync("20200101T000000Z-aaaaaa", key: null, "db");
        var kept = await SaveAsync("20200103T000000Z-cccccc", key: null, "db");
        await _store.WriteBytesAsync("20200102T000000Z-bbbbbb/db.tar.zst", "left over"u8.ToArray(), CancellationToken.None);

        var result = await PruneAsync(new RetentionPolicy { Last = 1 });

        Assert.Equal(["20200102T000000Z-bbbbbb/db.tar.zst"], result.Orphans);
        Assert.Equal(
            [$"delete {old}/manifest.json", $"delete {old}/db.tar.zst", $"delete {old}/db.tar.zst.index.jsonl.gz", $"delete {old}/manifest.mac", "delete 20200102T000000Z-bbbbbb/db.tar.zst"],
            Deletes());
        Assert.DoesNotContain(Deletes(), d => d.Contains(kept, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_changes_nothing()
    {
        await SaveAsync("20200101T000000Z-aaaaaa", key: null, "db");
        await SaveAsync("20200102T000000Z-bbbbbb", key: null, "db");

        var result = await PruneAsync(new RetentionPolicy { Last = 1 }, dryRun: true);

        Assert.Equal([true, false], result.Sets.Select(v => v.Keep));
        Assert.Empty(Deletes());
    }

    private List<string> Deletes() => [.. _store.Changes.Where(c => c.StartsWith("delete ", StringComparison.Ordinal))];

    private Task<PruneResult> PruneAsync(RetentionPolicy policy, bool dryRun = false) =>
        new PruneOperation(_store, new CollectingLog().Logger, TimeProvider.System).RunAsync(new PruneRequest(policy, null, TimeZoneInfo.Utc, dryRun), CancellationToken.None);

    /// <summary>Stores a set of <paramref name="volumes"/>, each archive with its index, and its manifest (with a MAC under <paramref name="key"/>).</summary>
    private async Task<string> SaveAsync(string id, ArchiveKey? key, params string[] volumes)
    {
        var archives = volumes.Select(v => Archive(v) with { Index = $"{v}.tar.zst.index.jsonl.gz" }).ToArray();
        foreach (var item in archives.SelectMany(a => new[] { a.File, a.Index! }))
        {
            await _store.WriteBytesAsync($"{id}/{item}", "stored"u8.ToArray(), CancellationToken.None);
        }

        await new BackupCatalog(_store).SaveAsync(Set(id, archives), key, CancellationToken.None);
        return id;
    }
}
