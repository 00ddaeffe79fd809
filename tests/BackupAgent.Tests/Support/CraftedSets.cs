using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;

namespace BackupAgent.Tests.Support;

/// <summary>
/// Crafted archives stored as a backup set with a manifest that matches them, as an attacker who can write the store
/// would; <see cref="StoreAsync"/> can also make the manifest lie (about the counts, the volume, its kind, driver
/// options, item names), and <see cref="RewriteManifestAsync"/> changes a manifest as raw JSON.
/// </summary>
public static class CraftedSets
{
    /// <summary>
    /// Stores <paramref name="tar"/> (gzip-compressed with <paramref name="gzip"/>) for <paramref name="volume"/>, with
    /// sizes, counts and SHA-256 recomputed; returns the set ID (of <paramref name="createdAt"/>, default now).
    /// </summary>
    public static async Task<string> StoreAsync(
        string backups, string volume, byte[] tar, bool gzip = false, Func<ArchiveInfo, ArchiveInfo>? lie = null, DateTimeOffset? createdAt = null)
    {
        var store = DirectoryStore.Open(backups, forWriting: true);
        var id = BackupSetId.New(createdAt ?? DateTimeOffset.UtcNow);
        var archive = await StoreArchiveAsync(store, id, volume, tar, gzip);
        await new BackupCatalog(store).SaveAsync(TestSets.Set(id, lie is null ? archive : lie(archive)), CancellationToken.None);
        return id;
    }

    /// <summary>Stores <paramref name="tar"/> as the archive of <paramref name="volume"/> in set <paramref name="id"/>; returns its manifest entry.</summary>
    public static async Task<ArchiveInfo> StoreArchiveAsync(IBackupStore store, string id, string volume, byte[] tar, bool gzip = false)
    {
        var stored = gzip ? Gzip(tar) : tar;
        var stem = volume.Trim('/').Replace('/', '_');
        var file = gzip ? $"{stem}.tar.gz" : $"{stem}.tar";
        await store.WriteBytesAsync($"{id}/{file}", stored, CancellationToken.None);
        var stats = new TarStats();
        stats.Append(tar);
        return TestSets.Archive(volume) with
        {
            File = file,
            Compression = gzip ? Compression.Gzip : Compression.None,
            Bytes = stored.Length,
            TarBytes = stats.TarBytes,
            ContentBytes = stats.ContentBytes,
            Files = stats.Entries,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(stored)),
        };
    }

    /// <summary>A tar of the volume root and regular files (name, content) in it.</summary>
    public static byte[] Tar(params (string Name, string Content)[] files)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./"));
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./" + name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        return output.ToArray();
    }

    /// <summary>Rewrites set <paramref name="id"/>'s manifest as raw JSON (values changed, removed or made invalid), leaving everything else as it is.</summary>
    public static async Task RewriteManifestAsync(string backups, string id, Action<JsonNode> change)
    {
        var path = Path.Combine(backups, id, "manifest.json");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        change(manifest);
        await File.WriteAllTextAsync(path, manifest.ToJsonString());
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
