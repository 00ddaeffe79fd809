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
            return new PlaintextStream(archive.Compression.Decompress(stored), null, archive);
        }

        var decrypted = new DecryptingStream(stored, Require(key, archive), archive.File);
        return new PlaintextStream(archive.Compression.Decompress(decrypted), decrypted, archive);
    }

    public static ArchiveKey Require(ArchiveKey? key, ArchiveInfo archive) =>
        key ?? throw new BadInputException(new Phrase(
            $"archive '{archive.File}' of '{archive.Volume}' is encrypted: give {Setting.Key}"));

    /// <summary>Checks up front that a key is there for every encrypted archive.</summary>
    public static void RequireKeys(IEnumerable<ArchiveInfo> archives, ArchiveKey? key)
    {
        foreach (var archive in archives.Where(a => a.Encryption is not null))
        {
            Require(key, archive);
        }
    }

    /// <summary>
    /// Reads through the decompressor, turning its own errors (data that is not of its format, or damaged) into an
    /// error naming the archive, and disposes the decrypting stream under it (if any) with it.
    /// </summary>
    private sealed class PlaintextStream(Stream inner, Stream? owned, ArchiveInfo archive) : PassThroughStream(inner)
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
            new($"archive '{archive.File}' of '{archive.Volume}' does not decompress: {e.Message}", inner: e);

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
