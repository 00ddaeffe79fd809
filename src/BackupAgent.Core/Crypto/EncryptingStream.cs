using System.Security.Cryptography;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>Encrypts what is written to it into <see cref="EncryptionFormat"/>; call <see cref="FinishAsync"/> to seal the last chunk.</summary>
public sealed class EncryptingStream : SealingStream
{
    private readonly Stream _output;
    private readonly byte[] _header;
    private readonly AesGcm _aes;
    private readonly byte[] _sealed = new byte[EncryptionFormat.ChunkBytes + EncryptionFormat.TagBytes];
    private uint _index;
    private bool _headerWritten;

    public EncryptingStream(Stream output, ArchiveKey key)
        : base(EncryptionFormat.ChunkBytes, fullChunkMayBeLast: false)
    {
        _output = output;
        (_header, var derived) = EncryptionFormat.NewHeader(key);
        _aes = new AesGcm(derived, EncryptionFormat.TagBytes);
    }

    protected override async ValueTask SealAsync(ReadOnlyMemory<byte> plain, bool last, CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await _output.WriteAsync(_header, cancellationToken);
            _headerWritten = true;
        }

        Seal(plain.Span, last);
        await _output.WriteAsync(_sealed.AsMemory(0, plain.Length + EncryptionFormat.TagBytes), cancellationToken);
    }

    private void Seal(ReadOnlySpan<byte> plain, bool last)
    {
        Span<byte> nonce = stackalloc byte[12];
        EncryptionFormat.Nonce(_header, _index++, nonce);
        _aes.Encrypt(nonce, plain, _sealed.AsSpan(0, plain.Length), _sealed.AsSpan(plain.Length, EncryptionFormat.TagBytes), EncryptionFormat.Aad(_header, last));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
        }

        base.Dispose(disposing);
    }
}
