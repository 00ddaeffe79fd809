using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Tests.Support;
using Serilog.Core;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Incremental;

/// <summary>
/// A hostile store's snapshot files and tree indexes (pinned consistently, as whoever writes an unencrypted store can)
/// are read back no further than their manifest declares, so a gzip bomb or an endless line costs the agent no memory.
/// </summary>
public sealed class ChainHostileStoreTests
{
    private const string Engine = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Id = "20260101T000000Z-aaaaaa";
    private static readonly BackupSource Source = new(SourceKind.Volume, "db", "db", null, null, [], TarReadHelper.OfVolume("db", "backup of db"));
    private readonly MemoryStore _store = new();

    [Fact]
    public async Task A_snapshot_file_larger_than_its_manifest_declares_is_not_read_past_that_and_the_backup_is_a_new_full()
    {
        // 16 MiB of snapshot file in a few KiB of gzip, declared as 100 bytes.
        var bomb = Encoding.ASCII.GetBytes("GNU tar-1.34-2\n1764633600\u00000\u0000").Concat(new byte[16 << 20]).ToArray();
        var base0 = await StoreBaseAsync(bomb, declared: 100);

        var start = await ChooseAsync(base0);

        Assert.Null(start.Base);
        Assert.Equal($"the snapshot file 'db.tar.snar.gz' of set '{Id}' is larger than the 100 bytes its manifest declares", start.FullReason);
    }

    [Fact]
    public async Task A_snapshot_file_shorter_than_its_manifest_declares_makes_a_new_full_and_one_that_matches_is_continued()
    {
        var snapshot = Encoding.ASCII.GetBytes("GNU tar-1.34-2\n1764633600\u00000\u0000");
        var shorter = await ChooseAsync(await StoreBaseAsync(snapshot, declared: snapshot.Length + 1));
        Assert.Equal($"the snapshot file 'db.tar.snar.gz' of set '{Id}' holds {snapshot.Length} bytes; its manifest declares {snapshot.Length + 1}", shorter.FullReason);

        var matching = await ChooseAsync(await StoreBaseAsync(snapshot, declared: snapshot.Length));
        Assert.Null(matching.FullReason);
        Assert.Equal(snapshot, matching.Snapshot);
    }

    [Fact]
    public async Task A_snapshot_file_declared_larger_than_the_cap_is_not_read_at_all()
    {
        var start = await ChooseAsync(await StoreBaseAsync("GNU tar-1.34-2\n"u8.ToArray(), declared: ChainStart.MaxSnapshotBytes + 1L));
        Assert.Contains($"is declared larger than {ChainStart.MaxSnapshotBytes} bytes", start.FullReason);
    }

    [Fact]
    public async Task A_tree_index_with_more_entries_than_its_manifest_declares_is_refused()
    {
        var line = "{\"p\":\"f\",\"t\":\"file\",\"m\":420,\"u\":0,\"g\":0,\"mt\":0,\"s\":0}\n";
        var level = await StoreTreeAsync(string.Concat(Enumerable.Repeat(line, 5)), declared: 2);

        var e = await Assert.ThrowsAsync<BackupAgentException>(() => DeepVerify.ReadIndexAsync(_store, level, level.Archives[0], level.Archives[0].StoredTree()!, null, CancellationToken.None));

        Assert.Contains("holds more than the 2 entries", e.Message);
    }

    [Fact]
    public async Task A_tree_index_of_one_endless_line_stops_at_its_bound_instead_of_holding_the_line()
    {
        // 16 MiB of one line in a few KiB of gzip, declared as one entry: read no further than 4 KiB and a little.
        var endless = "{\"p\":\"" + new string('a', 16 << 20) + "\"}\n";
        var level = await StoreTreeAsync(endless, declared: 1);

        var e = await Assert.ThrowsAsync<BackupAgentException>(() => DeepVerify.ReadIndexAsync(_store, level, level.Archives[0], level.Archives[0].StoredTree()!, null, CancellationToken.None));

        Assert.Contains($"holds more than {4096 + 65536} bytes", e.Message);
    }

    [Fact]
    public async Task A_tree_index_with_the_entries_its_manifest_declares_is_read()
    {
        var line = "{\"p\":\"f\",\"t\":\"file\",\"m\":420,\"u\":0,\"g\":0,\"mt\":0,\"s\":0}\n";
        var level = await StoreTreeAsync(line + line.Replace("\"f\"", "\"g\""), declared: 2);

        var entries = await DeepVerify.ReadIndexAsync(_store, level, level.Archives[0], level.Archives[0].StoredTree()!, null, CancellationToken.None);

        Assert.Equal(["f", "g"], entries.Select(e => e.Path));
    }

    private Task<ChainStart> ChooseAsync(BackupSet base0) =>
        ChainStart.ChooseAsync(new ChainRequest(Incremental: true), Source, new BackupCatalog(_store), new CatalogListing([base0], []), null, Engine, DateTimeOffset.UtcNow, Logger.None, CancellationToken.None);

    /// <summary>A level-0 set of db whose snapshot file is <paramref name="snapshot"/> (gzip'd, pinned), declared <paramref name="declared"/> bytes.</summary>
    private async Task<BackupSet> StoreBaseAsync(byte[] snapshot, long declared)
    {
        var stored = CraftedSets.Gzip(snapshot);
        await _store.WriteBytesAsync($"{Id}/db.tar.snar.gz", stored, CancellationToken.None);
        var index = CraftedSets.Gzip("{\"p\":\".\",\"t\":\"dir\",\"m\":493,\"u\":0,\"g\":0,\"mt\":0,\"s\":0}\n"u8.ToArray());
        await _store.WriteBytesAsync($"{Id}/db.tar.index.jsonl.gz", index, CancellationToken.None);
        var set = Set(Id, Archive("db") with
        {
            File = "db.tar", Engine = Engine,
            Index = "db.tar.index.jsonl.gz", IndexBytes = index.Length, IndexSha256 = Sha(index),
            Snapshot = "db.tar.snar.gz", SnapshotBytes = stored.Length, SnapshotSha256 = Sha(stored), SnapshotPlainBytes = declared,
        });
        await new BackupCatalog(_store).SaveAsync(set, CancellationToken.None);
        return set;
    }

    /// <summary>A level-1 set of db whose tree index is <paramref name="lines"/> (gzip'd, pinned), declared to hold <paramref name="declared"/> entries.</summary>
    private async Task<BackupSet> StoreTreeAsync(string lines, long declared)
    {
        var stored = CraftedSets.Gzip(Encoding.UTF8.GetBytes(lines));
        await _store.WriteBytesAsync($"{Id}/db.tar.tree.jsonl.gz", stored, CancellationToken.None);
        return Set(Id, Archive("db") with
        {
            File = "db.tar", Level = 1, Base = "20251231T000000Z-zzzzzz",
            Tree = "db.tar.tree.jsonl.gz", TreeBytes = stored.Length, TreeSha256 = Sha(stored), TreeEntries = declared,
        });
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
