using System.Text;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Unit;

public sealed class BackupCatalogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"backup-agent-catalog-{Guid.NewGuid():N}");
    private readonly BackupCatalog _catalog;

    public BackupCatalogTests() => _catalog = new BackupCatalog(DirectoryStore.Open(_root, forWriting: true));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Sets_are_listed_newest_first_and_latest_picks_the_newest_holding_the_volume()
    {
        await _catalog.SaveAsync(Set("20260101T000000Z-aaaaaa", "db", "web"), CancellationToken.None);
        await _catalog.SaveAsync(Set("20260102T000000Z-bbbbbb", "db"), CancellationToken.None);
        await _catalog.SaveAsync(Set("20260103T000000Z-cccccc", "cache"), CancellationToken.None);

        Assert.Equal(["20260103T000000Z-cccccc", "20260102T000000Z-bbbbbb", "20260101T000000Z-aaaaaa"],
            (await _catalog.ListAsync(null, CancellationToken.None)).Select(s => s.Id));
        Assert.Equal("20260102T000000Z-bbbbbb", (await _catalog.ResolveAsync("latest", ["db"], CancellationToken.None)).Id);
        Assert.Equal("20260101T000000Z-aaaaaa", (await _catalog.ResolveAsync(null, ["web", "db"], CancellationToken.None)).Id);
        var e = await Assert.ThrowsAsync<BadInputException>(() => _catalog.ResolveAsync("latest", ["nope"], CancellationToken.None));
        Assert.Contains("no backup set with 'nope'", e.Message);
    }

    [Fact]
    public async Task A_manifest_of_an_unknown_format_version_is_refused_with_both_versions_named()
    {
        await _catalog.Store.WriteBytesAsync("20260101T000000Z-aaaaaa/manifest.json", Encoding.UTF8.GetBytes("""{"formatVersion": 9, "id": "20260101T000000Z-aaaaaa"}"""), CancellationToken.None);
        var e = await Assert.ThrowsAsync<UnreadableManifestException>(() => _catalog.ResolveAsync("20260101T000000Z-aaaaaa", [], CancellationToken.None));
        Assert.Contains("format version 9; this agent reads version 1", e.Message);
    }

    [Theory]
    [InlineData("{ not json", "is corrupt or truncated")]
    [InlineData("{\"formatVersion\": 1, \"id\": \"20260102T0", "is corrupt or truncated")]
    [InlineData("{\"formatVersion\": 2, \"id\": \"20260102T000000Z-bbbbbb\"}", "has format version 2; this agent reads version 1")]
    [InlineData("{\"formatVersion\": 1, \"id\": \"20260101T000000Z-aaaaaa\", \"createdAt\": \"2026-01-01T00:00:00Z\", \"toolVersion\": \"x\", \"archives\": []}", "names another set ('20260101T000000Z-aaaaaa')")]
    public async Task An_unreadable_manifest_is_named_apart_and_hides_no_other_set(string manifest, string reason)
    {
        await _catalog.SaveAsync(Set("20260101T000000Z-aaaaaa", "db"), CancellationToken.None);
        await _catalog.Store.WriteBytesAsync("20260102T000000Z-bbbbbb/manifest.json", Encoding.UTF8.GetBytes(manifest), CancellationToken.None);

        var (sets, unreadable) = await _catalog.ScanAsync(null, CancellationToken.None);

        Assert.Equal(["20260101T000000Z-aaaaaa"], sets.Select(s => s.Id));
        var bad = Assert.Single(unreadable);
        Assert.Equal("20260102T000000Z-bbbbbb", bad.Id);
        Assert.Contains("the manifest of backup set '20260102T000000Z-bbbbbb'", bad.Reason);
        Assert.Contains(reason, bad.Reason);
    }

    [Fact]
    public async Task Latest_is_refused_when_a_newer_manifest_cannot_be_read_and_found_when_only_an_older_one_cannot()
    {
        await _catalog.Store.WriteBytesAsync("20260101T000000Z-aaaaaa/manifest.json", "{ not json"u8.ToArray(), CancellationToken.None);
        await _catalog.SaveAsync(Set("20260102T000000Z-bbbbbb", "db"), CancellationToken.None);
        Assert.Equal("20260102T000000Z-bbbbbb", (await _catalog.ResolveAsync("latest", ["db"], CancellationToken.None)).Id);

        await _catalog.Store.WriteBytesAsync("20260103T000000Z-cccccc/manifest.json", "{"u8.ToArray(), CancellationToken.None);
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => _catalog.ResolveAsync("latest", ["db"], CancellationToken.None));
        Assert.Contains("the newest backup set cannot be read", e.Message);
        Assert.Contains("'20260103T000000Z-cccccc'", e.Message);
        Assert.Contains("the newest readable one is 20260102T000000Z-bbbbbb", e.Message);
        Assert.Equal("20260102T000000Z-bbbbbb", (await _catalog.ResolveAsync("20260102T000000Z-bbbbbb", ["db"], CancellationToken.None)).Id);
    }
}
