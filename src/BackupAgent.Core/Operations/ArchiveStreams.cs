using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Operations;

/// <summary>The layers of a stored archive: tar, compressed, then (optionally) encrypted.</summary>
public static class ArchiveStreams
{
    /// <summary>The tar stream inside a stored archive: decrypted if it is encrypted, then decompressed. Leaves <paramref name="stored"/> open.</summary>
    public static Stream OpenPlaintext(Stream stored, ArchiveInfo archive, ArchiveKey? key)
    {
        if (archive.Encryption is null)
        {
            return archive.Compression.Decompress(stored);
        }

        var decrypted = new DecryptingStream(stored, Require(key, archive), archive.File);
        return new OwningStream(archive.Compression.Decompress(decrypted), decrypted);
    }

    public static ArchiveKey Require(ArchiveKey? key, ArchiveInfo archive) =>
        key ?? throw new BadInputException(
            $"archive '{archive.File}' of '{archive.Volume}' is encrypted: give --passphrase-file, --key-file, or BACKUP_AGENT_PASSPHRASE(_FILE)");

    /// <summary>Checks up front that a key is there for every encrypted archive.</summary>
    public static void RequireKeys(IEnumerable<ArchiveInfo> archives, ArchiveKey? key)
    {
        foreach (var archive in archives.Where(a => a.Encryption is not null))
        {
            Require(key, archive);
        }
    }

    /// <summary>Reads through its inner stream and disposes another one with it.</summary>
    private sealed class OwningStream(Stream inner, Stream owned) : PassThroughStream(inner)
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
                owned.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await Inner.DisposeAsync();
            await owned.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
