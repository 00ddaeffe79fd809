using System.Text;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Tests.Support;
using Serilog.Core;

namespace BackupAgent.Tests.Unit;

/// <summary>CopyOperation between in-memory stores: what it copies, what it refuses, and how a second run finishes an interrupted one.</summary>
public sealed class CopyOperationTests
{
    private readonly MemoryStore _from = new("memory://a");
    private readonly MemoryStore _to = new("memory://b");

    [Fact]
    public async Task A_copy_interrupted_mid_archive_leaves_its_set_invisible_and_a_second_run_finishes_it()
    {
        var first = await StoreSetAsync("20260101T000000Z-aaaaaa", "db", 3000);
        var second = await StoreSetAsync("20260102T000000Z-bbbbbb", "db", 5000);
        var failing = new FailingStore(_to) { FailWrite = name => name.StartsWith(second, StringComparison.Ordinal) && name.EndsWith(".tar", StringComparison.Ordinal), BytesBeforeFailure = 1000 };

        var interrupted = await new CopyOperation(_from, failing, Logger.None).RunAsync(new CopyRequest(CopyRequest.All, null, false), CancellationToken.None);

        Assert.Equal([CopyOutcome.Copied, CopyOutcome.Failed], interrupted.Sets.Select(s => s.Outcome));
        Assert.Contains("the connection dropped", interrupted.Sets[1].Problem);
        Assert.Equal([first], (await new BackupCatalog(_to).ListAsync(null, CancellationToken.None)).Select(s => s.Id));
        Assert.Empty(await NamesAsync(_to, second));

        // What a killed copy could leave: an item of the set, and no manifest.
        await _to.WriteBytesAsync($"{second}/db.tar", "left by a killed copy"u8.ToArray(), CancellationToken.None);
        var resumed = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(CopyRequest.All, null, false), CancellationToken.None);

        Assert.Equal([CopyOutcome.AlreadyThere, CopyOutcome.Copied], resumed.Sets.Select(s => s.Outcome));
        Assert.Equal(await NamesAsync(_from, ""), await NamesAsync(_to, ""));
        foreach (var name in await NamesAsync(_from, ""))
        {
            Assert.Equal(await _from.ReadBytesAsync(name, CancellationToken.None), await _to.ReadBytesAsync(name, CancellationToken.None));
        }
    }

    [Fact]
    public async Task An_archive_changed_in_the_source_is_not_copied_and_nothing_of_its_set_reaches_the_target()
    {
        var id = await StoreSetAsync("20260101T000000Z-aaaaaa", "db", 3000);
        var bytes = await _from.ReadBytesAsync($"{id}/db.tar", CancellationToken.None);
        bytes[700] ^= 1;
        await _from.WriteBytesAsync($"{id}/db.tar", bytes, CancellationToken.None);

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(id, null, false), CancellationToken.None);

        var failed = Assert.Single(result.Failed);
        Assert.Contains($"archive 'db.tar' of 'db' in set {id} in memory://a is corrupt or truncated", failed.Problem);
        Assert.Empty(await NamesAsync(_to, ""));
    }

    [Fact]
    public async Task An_archive_longer_than_its_manifest_says_is_stopped_and_not_copied()
    {
        var id = await StoreSetAsync("20260101T000000Z-aaaaaa", "db", 3000);
        var bytes = await _from.ReadBytesAsync($"{id}/db.tar", CancellationToken.None);
        await _from.WriteBytesAsync($"{id}/db.tar", bytes.Concat(new byte[5 << 20]).ToArray(), CancellationToken.None);

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(id, null, false), CancellationToken.None);

        Assert.Contains("it is longer than the", Assert.Single(result.Failed).Problem);
        Assert.Empty(await NamesAsync(_to, ""));
    }

    [Fact]
    public async Task Another_set_under_the_same_ID_in_the_target_is_left_as_it_is()
    {
        var id = await StoreSetAsync("20260101T000000Z-aaaaaa", "db", 3000);
        var other = new MemoryStore("memory://other");
        await new CopyOperation(await StoreSetInAsync(other, id, "db", 4000), _to, Logger.None).RunAsync(new CopyRequest(id, null, false), CancellationToken.None);
        var before = await _to.ReadBytesAsync($"{id}/manifest.json", CancellationToken.None);

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(id, null, false), CancellationToken.None);

        Assert.Contains("holds another set under this ID", Assert.Single(result.Failed).Problem);
        Assert.Equal(before, await _to.ReadBytesAsync($"{id}/manifest.json", CancellationToken.None));
    }

    [Fact]
    public async Task An_encrypted_set_is_copied_without_a_key_and_its_manifest_still_authenticates_with_it()
    {
        var key = ArchiveKey.FromPassphrase("copy passphrase");
        var id = "20260101T000000Z-aaaaaa";
        var archive = (await CraftedSets.StoreArchiveAsync(_from, id, "db", CraftedSets.Tar(("f", "data")))) with { Encryption = EncryptionFormat.Name };
        await new BackupCatalog(_from).SaveAsync(TestSets.Set(id, archive), key, CancellationToken.None);

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest("latest", "db", false), CancellationToken.None);

        Assert.Equal(CopyOutcome.Copied, Assert.Single(result.Sets).Outcome);
        var copied = new BackupCatalog(_to);
        var set = await copied.ResolveAsync(id, [], CancellationToken.None);
        await copied.AuthenticateAsync(set, key, acceptWithoutMac: false, Logger.None, CancellationToken.None);
        Assert.Equal(await _from.ReadBytesAsync($"{id}/manifest.mac", CancellationToken.None), await _to.ReadBytesAsync($"{id}/manifest.mac", CancellationToken.None));
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_a_copy_into_its_own_store_is_refused()
    {
        var id = await StoreSetAsync("20260101T000000Z-aaaaaa", "db", 3000);
        var dry = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(CopyRequest.All, null, true), CancellationToken.None);
        Assert.StartsWith($"{id} would be copied to memory://b (", Assert.Single(dry.Sets).Describe("memory://b"));
        Assert.Empty(_to.Changes);

        var e = await Assert.ThrowsAsync<BadInputException>(() => new CopyOperation(_from, new MemoryStore("memory://a"), Logger.None).RunAsync(new CopyRequest(CopyRequest.All, null, false), CancellationToken.None));
        Assert.Contains("its source and its target are both memory://a", e.Message);
    }

    [Fact]
    public async Task A_copy_of_an_incremental_level_brings_its_chain_skipping_the_bases_the_target_holds_so_the_target_can_restore_it()
    {
        var (full, one, two) = ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb", "20260103T000000Z-cccccc");
        await StoreLevelAsync(full, null, 0);
        await StoreLevelAsync(one, full, 1);
        await StoreLevelAsync(two, one, 2);
        await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(full, null, false), CancellationToken.None);

        var dry = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(two, null, true), CancellationToken.None);
        Assert.Equal([(full, CopyOutcome.AlreadyThere), (one, CopyOutcome.WouldCopy), (two, CopyOutcome.WouldCopy)], dry.Sets.Select(s => (s.Id, s.Outcome)));

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(two, null, false), CancellationToken.None);

        Assert.Equal([(full, CopyOutcome.AlreadyThere), (one, CopyOutcome.Copied), (two, CopyOutcome.Copied)], result.Sets.Select(s => (s.Id, s.Outcome)));
        var listing = await new BackupCatalog(_to).ScanAsync(null, CancellationToken.None);
        var copied = listing.Sets.Single(s => s.Id == two);
        var (links, problem) = Chains.Resolve(copied, copied.Archives[0], listing);
        Assert.Null(problem);
        Assert.Equal([full, one, two], links!.Select(l => l.Set.Id));
        Assert.Equal(await NamesAsync(_from, ""), await NamesAsync(_to, ""));
    }

    [Fact]
    public async Task A_level_whose_base_is_missing_from_the_source_is_not_copied_and_says_why()
    {
        var (gone, one, two) = ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb", "20260103T000000Z-cccccc");
        await StoreLevelAsync(one, gone, 1);
        await StoreLevelAsync(two, one, 2);

        var result = await new CopyOperation(_from, _to, Logger.None).RunAsync(new CopyRequest(two, null, false), CancellationToken.None);

        var failed = Assert.Single(result.Sets);
        Assert.Equal((two, CopyOutcome.Failed), (failed.Id, failed.Outcome));
        Assert.Contains($"its chain cannot be copied whole, and a level cannot be restored without it: archive 'db.tar' of 'db' in set '{one}' is level 1 on set '{gone}', which is missing from the store", failed.Problem);
        Assert.Empty(await NamesAsync(_to, ""));
    }

    private async Task StoreLevelAsync(string id, string? baseId, int level)
    {
        var archive = await CraftedSets.StoreArchiveAsync(_from, id, "db", CraftedSets.Tar(("f", new string('x', 1000 + level))));
        await new BackupCatalog(_from).SaveAsync(TestSets.Set(id, archive with { Level = level, Base = baseId }), CancellationToken.None);
    }

    private async Task<string> StoreSetAsync(string id, string volume, int size)
    {
        await StoreSetInAsync(_from, id, volume, size);
        return id;
    }

    private static async Task<IBackupStore> StoreSetInAsync(IBackupStore store, string id, string volume, int size)
    {
        var archive = await CraftedSets.StoreArchiveAsync(store, id, volume, CraftedSets.Tar(("f", new string('x', size))));
        await new BackupCatalog(store).SaveAsync(TestSets.Set(id, archive), CancellationToken.None);
        return store;
    }

    private static async Task<List<string>> NamesAsync(IBackupStore store, string prefix)
    {
        var names = new List<string>();
        await foreach (var name in store.ListAsync(prefix, CancellationToken.None))
        {
            names.Add(name);
        }

        return names.Order(StringComparer.Ordinal).ToList();
    }
}
