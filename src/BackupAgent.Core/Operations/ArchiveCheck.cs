using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>How far a check reads into an archive.</summary>
public enum CheckDepth
{
    /// <summary>Size and SHA-256 of the stored bytes.</summary>
    Hash,

    /// <summary>Also authenticates every chunk of an encrypted archive.</summary>
    Authenticate,

    /// <summary>Also decompresses it and counts the tar's entries.</summary>
    Unpack,
}

/// <summary>Reads a stored archive once, streaming, and checks it against its manifest entry.</summary>
public static class ArchiveCheck
{
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IBackupStore store, BackupSet set, ArchiveInfo archive, ArchiveKey? key, CheckDepth depth, CancellationToken cancellationToken)
    {
        Stream raw;
        try
        {
            raw = await store.OpenReadAsync(BackupCatalog.ArchiveItem(set, archive), cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            return [$"archive '{archive.File}' of '{archive.Volume}' is missing from {store.Location}"];
        }

        var problems = new List<string>();
        await using (raw)
        {
            await using var hashed = new HashingStream(raw);
            var decrypts = archive.Encryption is not null && depth >= CheckDepth.Authenticate;
            try
            {
                if (depth == CheckDepth.Unpack)
                {
                    await using var plain = ArchiveStreams.OpenPlaintext(hashed, archive, key);
                    var tar = new TarStats();
                    var buffer = new byte[1 << 20];
                    int n;
                    while ((n = await plain.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        tar.Append(buffer.AsSpan(0, n));
                    }

                    if (!tar.Ended || tar.Entries != archive.Files)
                    {
                        problems.Add($"archive '{archive.File}' of '{archive.Volume}' holds {tar.Entries} entries{(tar.Ended ? "" : " and no end marker")}; the manifest says {archive.Files}");
                    }
                }
                else if (decrypts)
                {
                    await using var plain = new DecryptingStream(hashed, ArchiveStreams.Require(key, archive), archive.File);
                    await plain.CopyToAsync(Stream.Null, 1 << 20, cancellationToken);
                }
            }
            catch (BackupAgentException e) when (e is not BadInputException)
            {
                problems.Add(e.Message);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ZstdSharp.ZstdException)
            {
                problems.Add($"archive '{archive.File}' of '{archive.Volume}' does not decompress: {e.Message}");
            }

            await hashed.CopyToAsync(Stream.Null, 1 << 20, cancellationToken);
            if (hashed.Bytes != archive.Bytes || hashed.Sha256 != archive.Sha256)
            {
                problems.Insert(0, $"archive '{archive.File}' of '{archive.Volume}' is corrupt or truncated: {hashed.Bytes} bytes with SHA-256 {hashed.Sha256}; the manifest says {archive.Bytes} bytes with SHA-256 {archive.Sha256}");
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks every archive (size, SHA-256, and the authentication of every chunk of an encrypted one) and throws
    /// one error naming every problem, so that a restore touches no volume unless all its archives are good.
    /// </summary>
    public static async Task EnsureIntactAsync(IBackupStore store, BackupSet set, IEnumerable<ArchiveInfo> archives, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var archive in archives)
        {
            problems.AddRange(await ProblemsAsync(store, set, archive, key, CheckDepth.Authenticate, cancellationToken));
        }

        if (problems.Count > 0)
        {
            throw new BackupAgentException($"backup set '{set.Id}' cannot be restored, no volume was touched: {string.Join("; ", problems)}");
        }
    }
}
