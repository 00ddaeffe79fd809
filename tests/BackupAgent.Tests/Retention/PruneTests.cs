using System.Runtime.CompilerServices;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;
using BackupAgent.Tests.Support;
using static BackupAgent.Tests.Support.TestSets;
using Serilog;

namespace BackupAgent.Tests.Retention;

public sealed class PruneTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"backup-agent-prune-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void The_policy_applies_per_volume_and_the_newest_set_of_each_volume_survives()
    {
        var sets = new[]
        {
            Set("20260101T000000Z-aaaaaa", "db", "web"),
            Set("20260102T000000Z-bbbbbb", "db"),
            Set("20260103T000000Z-cccccc", "db"),
        };
        var verdicts = PrunePlan.Create(sets, new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc);
        Assert.Equal(["20260103T000000Z-cccccc", "20260101T000000Z-aaaaaa"], verdicts.Where(v => v.Keep).Select(v => v.Set.Id));
        Assert.Contains("newest of web", verdicts.Single(v => v.Set.Id == "20260101T000000Z-aaaaaa").Reasons);
    }

    [Fact]
    public void With_a_volume_filter_sets_holding_other_volumes_are_kept_and_others_untouched()
    {
        var sets = new[]
        {
            Set("20260101T000000Z-aaaaaa", "db", "web"),
            Set("20260102T000000Z-bbbbbb", "db"),
            Set("20260103T000000Z-cccccc", "db"),
            Set("20260104T000000Z-dddddd", "cache"),
        };
        var verdicts = PrunePlan.Create(sets, new RetentionPolicy { Last = 1 }, "db", TimeZoneInfo.Utc);
        Assert.Equal(["20260103T000000Z-cccccc", "20260102T000000Z-bbbbbb", "20260101T000000Z-aaaaaa"], verdicts.Select(v => v.Set.Id));
        Assert.Equal([true, false, true], verdicts.Select(v => v.Keep));
        Assert.Contains("holds other volumes too", verdicts[2].Reasons);
    }

    [Fact]
    public void A_prune_without_rules_is_refused()
    {
        Assert.Contains("at least one --keep", OptionNames.Describe(Assert.Throws<BadInputException>(() => PrunePlan.Create([], new RetentionPolicy(), null, TimeZoneInfo.Utc))));
    }

    [Fact]
    public async Task Prune_deletes_manifests_then_archives_and_a_dry_run_deletes_nothing()
    {
        var store = DirectoryStore.Open(_root, forWriting: true);
        await SaveAsync(store, "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb", "20260103T000000Z-cccccc");
        var request = new PruneRequest(new RetentionPolicy { Last = 2 }, null, TimeZoneInfo.Utc, DryRun: true);

        var dry = await Operation(store).RunAsync(request, CancellationToken.None);
        Assert.Equal([true, true, false], dry.Sets.Select(v => v.Keep));
        Assert.Equal(6, Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Count());

        await Operation(store).RunAsync(request with { DryRun = false }, CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(_root, "20260101T000000Z-aaaaaa")));
        Assert.Equal(4, Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task An_interrupted_prune_never_leaves_a_listed_set_with_missing_archives_and_the_next_sweeps_the_rest()
    {
        var store = DirectoryStore.Open(_root, forWriting: true);
        await SaveAsync(store, "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb");
        var dying = new DyingStore(store, deletesBeforeDeath: 1);
        var request = new PruneRequest(new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc, DryRun: false);

        await Assert.ThrowsAsync<IOException>(() => Operation(dying).RunAsync(request, CancellationToken.None));
        var catalog = new BackupCatalog(store);
        var listed = await catalog.ListAsync(null, CancellationToken.None);
        Assert.Equal(["20260102T000000Z-bbbbbb"], listed.Select(s => s.Id));
        Assert.True(File.Exists(Path.Combine(_root, "20260101T000000Z-aaaaaa", "db.tar.zst")), "the archive outlives its manifest");

        var next = await Operation(store).RunAsync(request, CancellationToken.None);
        Assert.Equal(["20260101T000000Z-aaaaaa/db.tar.zst"], next.Orphans);
        Assert.False(Directory.Exists(Path.Combine(_root, "20260101T000000Z-aaaaaa")));
    }

    [Fact]
    public async Task A_listed_name_that_could_leave_the_store_is_never_swept_and_the_prune_goes_on()
    {
        var store = DirectoryStore.Open(_root, forWriting: true);
        await SaveAsync(store, "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb");
        await store.WriteBytesAsync("20260103T000000Z-cccccc/db.tar.zst", "left over"u8.ToArray(), CancellationToken.None);
        var listing = new DyingStore(store, int.MaxValue, "20260103T000000Z-cccccc/../../../victim", "20260103T000000Z-cccccc//x");

        var result = await Operation(listing).RunAsync(new PruneRequest(new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc, false), CancellationToken.None);

        Assert.Equal(["20260103T000000Z-cccccc/db.tar.zst"], result.Orphans);
        Assert.Equal(["20260102T000000Z-bbbbbb"], (await new BackupCatalog(store).ListAsync(null, CancellationToken.None)).Select(s => s.Id));
    }

    [Fact]
    public async Task Pruning_an_encrypted_set_deletes_its_manifest_mac_too()
    {
        var store = DirectoryStore.Open(_root, forWriting: true);
        var key = BackupAgent.Core.Crypto.ArchiveKey.FromPassphrase("prune");
        await new BackupCatalog(store).SaveAsync(Set("20260101T000000Z-aaaaaa", "db"), key, CancellationToken.None);
        await SaveAsync(store, "20260102T000000Z-bbbbbb");
        Assert.True(File.Exists(Path.Combine(_root, "20260101T000000Z-aaaaaa", "manifest.mac")));

        await Operation(store).RunAsync(new PruneRequest(new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc, false), CancellationToken.None);

        Assert.False(Directory.Exists(Path.Combine(_root, "20260101T000000Z-aaaaaa")));
    }

    [Fact]
    public async Task Archives_of_a_backup_that_may_still_be_running_are_not_swept()
    {
        var store = DirectoryStore.Open(_root, forWriting: true);
        await SaveAsync(store, "20260101T000000Z-aaaaaa");
        await store.WriteBytesAsync("20260301T115000Z-ffffff/db.tar.zst", "in progress"u8.ToArray(), CancellationToken.None);
        var result = await Operation(store).RunAsync(new PruneRequest(new RetentionPolicy { Last = 1 }, null, TimeZoneInfo.Utc, false), CancellationToken.None);
        Assert.Empty(result.Orphans);
        Assert.True(File.Exists(Path.Combine(_root, "20260301T115000Z-ffffff", "db.tar.zst")));
    }

    private static PruneOperation Operation(IBackupStore store) =>
        new(store, new LoggerConfiguration().CreateLogger(), new FixedClock(Now));

    private static async Task SaveAsync(IBackupStore store, params string[] ids)
    {
        foreach (var id in ids)
        {
            var set = Set(id, "db");
            await store.WriteBytesAsync($"{id}/db.tar.zst", "archive"u8.ToArray(), CancellationToken.None);
            await new BackupCatalog(store).SaveAsync(set, CancellationToken.None);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>A store whose process "dies" (throws) after a number of deletes: a prune killed midway.</summary>
    /// <summary>A store that dies after some deletes, and lists names besides its own (as a store someone else writes may).</summary>
    private sealed class DyingStore(IBackupStore inner, int deletesBeforeDeath, params string[] alsoListed) : IBackupStore
    {
        private int _deletes;

        public string Location => inner.Location;

        public Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken) =>
            inner.WriteAsync(name, writeContent, cancellationToken);

        public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken) => inner.OpenReadAsync(name, cancellationToken);

        public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var name in inner.ListAsync(prefix, cancellationToken))
            {
                yield return name;
            }

            foreach (var name in alsoListed.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            {
                yield return name;
            }
        }

        public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
            ++_deletes > deletesBeforeDeath ? throw new IOException("killed") : inner.DeleteAsync(name, cancellationToken);
    }
}
