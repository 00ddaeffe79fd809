using System.Text;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Crypto;

public sealed class ManifestMacTests : IDisposable
{
    private static readonly byte[] Manifest = """{"formatVersion": 1, "archives": []}"""u8.ToArray();

    private readonly string _dir = Directory.CreateTempSubdirectory("backup-agent-mac-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_mac_authenticates_exactly_its_manifest_under_its_key()
    {
        var key = KeyFile("a");
        var mac = ManifestMac.Create(Manifest, key);

        Assert.Equal(ManifestMac.Bytes, mac.Length);
        Assert.Equal(MacVerdict.Authentic, ManifestMac.Check(mac, Manifest, key));
        var changed = (byte[])Manifest.Clone();
        changed[^2] ^= 1;
        Assert.Equal(MacVerdict.Forged, ManifestMac.Check(mac, changed, key));
        Assert.Equal(MacVerdict.Forged, ManifestMac.Check(mac, Manifest[..^1], key));
        Assert.Equal(MacVerdict.WrongKey, ManifestMac.Check(mac, Manifest, KeyFile("b")));
        Assert.Equal(MacVerdict.WrongKey, ManifestMac.Check(mac, Manifest, ArchiveKey.FromPassphrase("correct horse")));
        Assert.Equal(MacVerdict.Damaged, ManifestMac.Check(mac[..^1], Manifest, key));
        var tampered = (byte[])mac.Clone();
        tampered[^1] ^= 1;
        Assert.Equal(MacVerdict.Forged, ManifestMac.Check(tampered, Manifest, key));
    }

    [Fact]
    public void A_passphrase_mac_is_salted_per_set_and_a_wrong_passphrase_is_told_apart()
    {
        var key = ArchiveKey.FromPassphrase("correct horse");
        var first = ManifestMac.Create(Manifest, key);
        Assert.NotEqual(first, ManifestMac.Create(Manifest, key));
        Assert.Equal(MacVerdict.Authentic, ManifestMac.Check(first, Manifest, key));
        Assert.Equal(MacVerdict.WrongKey, ManifestMac.Check(first, Manifest, ArchiveKey.FromPassphrase("battery staple")));
    }

    [Fact]
    public async Task A_set_with_a_valid_mac_that_says_an_archive_is_not_encrypted_is_refused_with_a_key()
    {
        var key = KeyFile("a");
        var catalog = new BackupCatalog(DirectoryStore.Open(Path.Combine(_dir, "store"), forWriting: true));
        var set = TestSets.Set("20260101T000000Z-aaaaaa", TestSets.Archive("db") with { Encryption = EncryptionFormat.Name }, TestSets.Archive("web"));
        await catalog.SaveAsync(set, key, CancellationToken.None);

        var loaded = await catalog.ResolveAsync(set.Id, [], CancellationToken.None);
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => catalog.AuthenticateAsync(loaded, key, acceptWithoutMac: false, Serilog.Core.Logger.None, CancellationToken.None));
        Assert.Contains("the manifest of backup set '20260101T000000Z-aaaaaa' is not authenticated by this key", e.Message);
        Assert.Contains("it says archive 'web.tar.zst' is not encrypted", e.Message);
        await catalog.AuthenticateAsync(loaded, null, acceptWithoutMac: false, Serilog.Core.Logger.None, CancellationToken.None);
    }

    [Fact]
    public async Task An_encrypted_set_saved_with_its_key_is_authenticated_and_refused_under_another()
    {
        var catalog = new BackupCatalog(DirectoryStore.Open(Path.Combine(_dir, "store"), forWriting: true));
        var set = TestSets.Set("20260101T000000Z-aaaaaa", TestSets.Archive("db") with { Encryption = EncryptionFormat.Name });
        await catalog.SaveAsync(set, KeyFile("a"), CancellationToken.None);

        var loaded = await catalog.ResolveAsync(set.Id, [], CancellationToken.None);
        await catalog.AuthenticateAsync(loaded, KeyFile("a"), acceptWithoutMac: false, Serilog.Core.Logger.None, CancellationToken.None);
        var e = await Assert.ThrowsAsync<KeyException>(() => catalog.AuthenticateAsync(loaded, KeyFile("b"), acceptWithoutMac: false, Serilog.Core.Logger.None, CancellationToken.None));
        Assert.Contains("wrong key file", e.Message);
        Assert.Contains(ManifestMac.Item, (await ListAsync(catalog.Store)).Select(n => n[(n.IndexOf('/') + 1)..]));
    }

    private ArchiveKey KeyFile(string seed)
    {
        var path = Path.Combine(_dir, "key-" + seed);
        File.WriteAllBytes(path, System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
        return ArchiveKey.FromKeyFile(path);
    }

    private static async Task<List<string>> ListAsync(IBackupStore store)
    {
        var names = new List<string>();
        await foreach (var name in store.ListAsync("", CancellationToken.None))
        {
            names.Add(name);
        }

        return names;
    }
}
