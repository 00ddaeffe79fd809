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
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => _catalog.ResolveAsync("20260101T000000Z-aaaaaa", [], CancellationToken.None));
        Assert.Contains("format version 9; this agent reads version 1", e.Message);
    }

    [Fact]
    public async Task A_corrupt_manifest_is_named()
    {
        await _catalog.Store.WriteBytesAsync("20260101T000000Z-aaaaaa/manifest.json", "{ not json"u8.ToArray(), CancellationToken.None);
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => _catalog.ListAsync(null, CancellationToken.None));
        Assert.Contains("manifest of backup set '20260101T000000Z-aaaaaa'", e.Message);
        Assert.Contains("corrupt", e.Message);
    }
}
