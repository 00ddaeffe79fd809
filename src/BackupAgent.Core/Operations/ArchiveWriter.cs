using BackupAgent.Core.Crypto;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Writes an archive's layers into a store's stream: what is written to <see cref="Input"/> is compressed, then
/// encrypted when there is a key, then counted and hashed on its way out. Call <see cref="FinishAsync"/> when done.
/// </summary>
public sealed class ArchiveWriter : IAsyncDisposable
{
    private readonly HashingStream _hashed;
    private readonly SealingStream? _encrypted;
    private readonly Stream _compressed;

    public ArchiveWriter(Stream output, Compression compression, ArchiveKey? key)
    {
        _hashed = new HashingStream(output);
        _encrypted = key is null ? null : SealingStream.For(_hashed, key);
        _compressed = compression.Compress((Stream?)_encrypted ?? _hashed);
    }

    public Stream Input => _compressed;

    /// <summary>Bytes written to the store (valid after <see cref="FinishAsync"/>).</summary>
    public long Bytes => _hashed.Bytes;

    /// <summary>SHA-256 of the bytes written to the store (valid after <see cref="FinishAsync"/>).</summary>
    public string Sha256 { get; private set; } = "";

    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await _compressed.DisposeAsync();
        if (_encrypted is not null)
        {
            await _encrypted.FinishAsync(cancellationToken);
        }

        Sha256 = _hashed.Sha256;
    }

    public async ValueTask DisposeAsync()
    {
        await _compressed.DisposeAsync();
        if (_encrypted is not null)
        {
            await _encrypted.DisposeAsync();
        }

        await _hashed.DisposeAsync();
    }
}
