using BackupAgent.Core.Crypto;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The read side of a stored item's codec, the mirror of <see cref="ArchiveWriter"/>: the stored bytes are counted
/// and hashed as they pass, decrypted (every chunk authenticated) and decompressed into <see cref="Plaintext"/>;
/// <see cref="CheckAsync"/> reads what is left and compares size and SHA-256 with the manifest's pin.
/// </summary>
public sealed class ItemReader : IAsyncDisposable
{
    private readonly Stream _raw;
    private readonly HashingStream _hashed;
    private readonly StoredItem _item;

    private ItemReader(Stream raw, StoredItem item, ArchiveKey? key)
    {
        (_raw, _item) = (raw, item);
        _hashed = new HashingStream(raw);
        Plaintext = ArchiveStreams.OpenPlaintext(_hashed, item, key);
    }

    /// <summary>What the item holds: a tar for an archive, JSON lines for an index.</summary>
    public Stream Plaintext { get; }

    /// <summary>Opens an item of set <paramref name="setId"/>; throws <see cref="StoreItemNotFoundException"/> when it is not there.</summary>
    public static async Task<ItemReader> OpenAsync(IBackupStore store, string setId, StoredItem item, ArchiveKey? key, CancellationToken cancellationToken) =>
        new(await store.OpenReadAsync(SetLayout.Item(setId, item.File), cancellationToken), item, key);

    /// <summary>Reads the rest of the stored bytes; what is wrong with them (null: they are as the manifest pins them, or it pins nothing).</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        await _hashed.CopyToAsync(Stream.Null, OverlappedCopy.BufferBytes, cancellationToken);
        return (_item.Bytes, _item.Sha256) is (null, null) || (_hashed.Bytes == _item.Bytes && _hashed.Sha256 == _item.Sha256)
            ? null
            : $"{_item.Kind} '{_item.File}' of '{_item.Volume}' is corrupt or truncated: {_hashed.Bytes} bytes with SHA-256 {_hashed.Sha256}; the manifest says {_item.Bytes} bytes with SHA-256 {_item.Sha256}";
    }

    public async ValueTask DisposeAsync()
    {
        await Plaintext.DisposeAsync();
        await _hashed.DisposeAsync();
        await _raw.DisposeAsync();
    }
}
