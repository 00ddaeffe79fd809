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

    [Fact]
    public async Task A_set_that_a_backup_running_beside_the_prune_builds_a_level_on_keeps_its_manifest_and_items()
    {
        var (base0, newer, level) = ("20200101T000000Z-aaaaaa", "20200102T000000Z-bbbbbb", "20200103T000000Z-cccccc");
        await SaveLinkAsync(_store, base0, null);
        await SaveAsync(newer, key: null, "db");
        var before = await _store.ReadBytesAsync($"{base0}/manifest.json", CancellationToken.None);
        // The backup chose base0 before the prune listed the store, and publishes its level once the prune deleted base0's manifest.
        var racing = new RacingStore(_store, $"{base0}/manifest.json", () => SaveLinkAsync(_store, level, base0));

        var result = await new PruneOperation(racing, new CollectingLog().Logger, TimeProvider.System).RunAsync(new PruneRequest(new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc, false), CancellationToken.None);

        var verdict = result.Sets.Single(v => v.Set.Id == base0);
        Assert.True(verdict.Keep);
        Assert.Equal([$"kept as the base of {level}, which a backup made while this prune ran"], verdict.Reasons);
        Assert.Equal(before, await _store.ReadBytesAsync($"{base0}/manifest.json", CancellationToken.None));
        Assert.DoesNotContain(Deletes(), d => d.Contains(base0, StringComparison.Ordinal) && !d.EndsWith("manifest.json", StringComparison.Ordinal));
        var listing = await new BackupCatalog(_store).ScanAsync(null, CancellationToken.None);
        var (links, problem) = Chains.Resolve(listing.Sets.Single(s => s.Id == level), listing.Sets.Single(s => s.Id == level).Archives[0], listing);
        Assert.Null(problem);
        Assert.Equal([base0, level], links!.Select(l => l.Set.Id));
    }

    [Fact]
    public async Task A_backup_whose_base_is_gone_once_its_manifest_is_written_finds_it_missing()
    {
        var level = Archive("db") with { Level = 1, Base = "20200101T000000Z-aaaaaa" };
        Assert.Same(level, await SetWriter.MissingBaseAsync(new BackupCatalog(_store), [level], CancellationToken.None));

        await SaveLinkAsync(_store, "20200101T000000Z-aaaaaa", null);
        Assert.Null(await SetWriter.MissingBaseAsync(new BackupCatalog(_store), [level], CancellationToken.None));
    }

    /// <summary>Stores a set whose archive of db is in a chain (level 0 without a base), with its items.</summary>
    private static async Task SaveLinkAsync(IBackupStore store, string id, string? baseId)
    {
        var archive = Archive("db") with
        {
            Index = "db.tar.zst.index.jsonl.gz", Level = baseId is null ? 0 : 1, Base = baseId,
            Snapshot = "db.tar.zst.snar.gz", SnapshotBytes = 6, SnapshotSha256 = new string('a', 64),
        };
        foreach (var item in new[] { archive.File, archive.Index, archive.Snapshot })
        {
            await store.WriteBytesAsync($"{id}/{item}", "stored"u8.ToArray(), CancellationToken.None);
        }

        await new BackupCatalog(store).SaveAsync(Set(id, archive), CancellationToken.None);
    }

    /// <summary>A store that runs <paramref name="race"/> once, right after <paramref name="trigger"/> is deleted.</summary>
    private sealed class RacingStore(IBackupStore inner, string trigger, Func<Task> race) : IBackupStore
    {
        private Func<Task>? _race = race;

        public string Location => inner.Location;

        public Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken) => inner.WriteAsync(name, writeContent, cancellationToken);

        public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken) => inner.OpenReadAsync(name, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public async Task DeleteAsync(string name, CancellationToken cancellationToken)
        {
            await inner.DeleteAsync(name, cancellationToken);
            if (name == trigger && Interlocked.Exchange(ref _race, null) is { } run)
            {
                await run();
            }
        }
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
