using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>Reads a stored archive once, streaming, and checks it against its manifest entry.</summary>
public static class ArchiveCheck
{
    /// <summary>Checks size and SHA-256; with <paramref name="unpack"/> also decompresses it and checks the tar's entries.</summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IBackupStore store, BackupSet set, ArchiveInfo archive, bool unpack, CancellationToken cancellationToken)
    {
        var item = BackupCatalog.ArchiveItem(set, archive);
        Stream raw;
        try
        {
            raw = await store.OpenReadAsync(item, cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            return [$"archive '{archive.File}' of '{archive.Volume}' is missing from {store.Location}"];
        }

        var problems = new List<string>();
        await using (raw)
        {
            await using var hashed = new HashingStream(raw);
            if (unpack)
            {
                var tar = new TarStats();
                try
                {
                    await using var plain = archive.Compression.Decompress(hashed);
                    var buffer = new byte[1 << 20];
                    int n;
                    while ((n = await plain.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        tar.Append(buffer.AsSpan(0, n));
                    }
                }
                catch (Exception e) when (e is InvalidDataException or IOException or ZstdSharp.ZstdException)
                {
                    problems.Add($"archive '{archive.File}' of '{archive.Volume}' does not decompress: {e.Message}");
                }

                if (problems.Count == 0 && (!tar.Ended || tar.Entries != archive.Files))
                {
                    problems.Add($"archive '{archive.File}' of '{archive.Volume}' holds {tar.Entries} entries{(tar.Ended ? "" : " and no end marker")}; the manifest says {archive.Files}");
                }
            }

            await hashed.CopyToAsync(Stream.Null, 1 << 20, cancellationToken);
            if (hashed.Bytes != archive.Bytes || hashed.Sha256 != archive.Sha256)
            {
                problems.Insert(0, $"archive '{archive.File}' of '{archive.Volume}' is corrupt or truncated: {hashed.Bytes} bytes with SHA-256 {hashed.Sha256}; the manifest says {archive.Bytes} bytes with SHA-256 {archive.Sha256}");
            }
        }

        return problems;
    }

    /// <summary>Throws one error naming every archive that fails the check.</summary>
    public static async Task EnsureIntactAsync(IBackupStore store, BackupSet set, IEnumerable<ArchiveInfo> archives, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var archive in archives)
        {
            problems.AddRange(await ProblemsAsync(store, set, archive, unpack: false, cancellationToken));
        }

        if (problems.Count > 0)
        {
            throw new BackupAgentException($"backup set '{set.Id}' cannot be restored, no volume was touched: {string.Join("; ", problems)}");
        }
    }
}
