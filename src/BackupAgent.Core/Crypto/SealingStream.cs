using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>An encrypting stream: what is written to it is sealed in chunks; <see cref="FinishAsync"/> seals the last one.</summary>
public abstract class SealingStream : WriteOnlyStream
{
    /// <summary>Seals the last (possibly empty) chunk. Without it the stored item reads as truncated.</summary>
    public abstract Task FinishAsync(CancellationToken cancellationToken);

    /// <summary>The encrypting stream of the format <paramref name="key"/> writes (<see cref="ArchiveKey.Format"/>).</summary>
    public static SealingStream For(Stream output, ArchiveKey key) =>
        key.Format == Age.AgeFormat.Name ? new Age.AgeEncryptingStream(output, key) : new EncryptingStream(output, key);
}
