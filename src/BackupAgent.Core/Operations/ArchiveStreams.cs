using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Operations;

/// <summary>The layers of a stored item (an archive's tar, an index's JSON lines): compressed, then (optionally) encrypted.</summary>
public static class ArchiveStreams
{
    /// <summary>What is inside a stored item: decrypted if it is encrypted, then decompressed. Leaves <paramref name="stored"/> open.</summary>
    public static Stream OpenPlaintext(Stream stored, StoredItem item, ArchiveKey? key)
    {
        if (item.Encryption is null)
        {
            return new PlaintextStream(item.Compression.Decompress(stored), null, item);
        }

        Stream decrypted = item.Encryption == AgeFormat.Name
            ? new AgeDecryptingStream(stored, Require(key, item), item.File)
            : new DecryptingStream(stored, Require(key, item), item.File);
        return new PlaintextStream(item.Compression.Decompress(decrypted), decrypted, item);
    }

    public static ArchiveKey Require(ArchiveKey? key, StoredItem archive) =>
        key ?? throw new KeyException(new Phrase(
            $"{archive.Kind} '{archive.File}' of '{archive.Volume}' is encrypted: give {Setting.Key}"));

    /// <summary>Checks up front that a key is there for every encrypted archive.</summary>
    public static void RequireKeys(IEnumerable<ArchiveInfo> archives, ArchiveKey? key)
    {
        foreach (var archive in archives.Where(a => a.Encryption is not null))
        {
            Require(key, archive.Stored());
        }
    }

    /// <summary>
    /// Reads through the decompressor, turning its own errors (data that is not of its format, or damaged) into an
    /// error naming the archive, and disposes the decrypting stream under it (if any) with it.
    /// </summary>
    private sealed class PlaintextStream(Stream inner, Stream? owned, StoredItem archive) : PassThroughStream(inner)
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return base.Read(buffer);
            }
            catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
            {
                throw DoesNotDecompress(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
            {
                throw DoesNotDecompress(e);
            }
        }

        private BackupAgentException DoesNotDecompress(Exception e) =>
            new($"{archive.Kind} '{archive.File}' of '{archive.Volume}' does not decompress: {e.Message}", inner: e);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
                owned?.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await Inner.DisposeAsync();
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }

            await base.DisposeAsync();
        }
    }
}
