using System.IO.Compression;
using System.Security.Cryptography;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;

namespace BackupAgent.Tests.Support;

/// <summary>
/// Crafted archives stored as a backup set with a manifest that matches them, as an attacker who can write the store
/// would; <see cref="StoreAsync"/> can also make the manifest lie about the counts.
/// </summary>
public static class CraftedSets
{
    /// <summary>Stores <paramref name="tar"/> (gzip-compressed with <paramref name="gzip"/>) for <paramref name="volume"/>; returns the set ID.</summary>
    public static async Task<string> StoreAsync(string backups, string volume, byte[] tar, bool gzip = false, Func<ArchiveInfo, ArchiveInfo>? lie = null)
    {
        var store = DirectoryStore.Open(backups, forWriting: true);
        var id = BackupSetId.New(DateTimeOffset.UtcNow);
        var stored = gzip ? Gzip(tar) : tar;
        var file = gzip ? $"{volume}.tar.gz" : $"{volume}.tar";
        await store.WriteBytesAsync($"{id}/{file}", stored, CancellationToken.None);
        var stats = new TarStats();
        stats.Append(tar);
        var archive = TestSets.Archive(volume) with
        {
            File = file,
            Compression = gzip ? Compression.Gzip : Compression.None,
            Bytes = stored.Length,
            TarBytes = stats.TarBytes,
            ContentBytes = stats.ContentBytes,
            Files = stats.Entries,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(stored)),
        };
        await new BackupCatalog(store).SaveAsync(TestSets.Set(id, lie is null ? archive : lie(archive)), CancellationToken.None);
        return id;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
