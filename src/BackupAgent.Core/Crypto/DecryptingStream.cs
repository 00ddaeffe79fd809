using System.Security.Cryptography;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>Reads <see cref="EncryptionFormat"/> and yields the plaintext, authenticating every chunk before it yields it.</summary>
public sealed class DecryptingStream(Stream input, ArchiveKey key, string archive) : OpeningStream
{
    private byte[] _header = [];
    private AesGcm? _aes;
    private byte[] _sealed = [];
    private byte[] _plain = [];
    private uint _index;

    protected override async ValueTask<(ReadOnlyMemory<byte> Plain, bool Last)> OpenNextChunkAsync(CancellationToken cancellationToken)
    {
        if (_aes is null)
        {
            _header = new byte[EncryptionFormat.HeaderBytes];
            var got = await input.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken);
            var (derived, chunk) = EncryptionFormat.OpenHeader(_header.AsSpan(0, got), key, archive);
            _aes = new AesGcm(derived, EncryptionFormat.TagBytes);
            _sealed = new byte[chunk + EncryptionFormat.TagBytes];
            _plain = new byte[chunk];
        }

        var read = await input.ReadAtLeastAsync(_sealed, _sealed.Length, throwOnEndOfStream: false, cancellationToken);
        var last = read < _sealed.Length;
        if (read < EncryptionFormat.TagBytes)
        {
            throw Damaged("it is truncated");
        }

        var length = read - EncryptionFormat.TagBytes;
        Span<byte> nonce = stackalloc byte[12];
        EncryptionFormat.Nonce(_header, _index++, nonce);
        try
        {
            _aes.Decrypt(nonce, _sealed.AsSpan(0, length), _sealed.AsSpan(length, EncryptionFormat.TagBytes), _plain.AsSpan(0, length), EncryptionFormat.Aad(_header, last));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Damaged(last ? "it was tampered with or truncated" : "it was tampered with");
        }

        return (_plain.AsMemory(0, length), last);
    }

    private BackupAgentException Damaged(string how) =>
        new($"cannot decrypt archive '{archive}': {how} (chunk {_index - 1} fails authentication)");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes?.Dispose();
        }

        base.Dispose(disposing);
    }
}
