using System.Security.Cryptography;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>Encrypts what is written to it into <see cref="EncryptionFormat"/>; call <see cref="FinishAsync"/> to seal the last chunk.</summary>
public sealed class EncryptingStream : SealingStream
{
    private readonly Stream _output;
    private readonly byte[] _header;
    private readonly AesGcm _aes;
    private readonly byte[] _plain = new byte[EncryptionFormat.ChunkBytes];
    private readonly byte[] _sealed = new byte[EncryptionFormat.ChunkBytes + EncryptionFormat.TagBytes];
    private int _fill;
    private uint _index;
    private bool _headerWritten;
    private bool _finished;

    public EncryptingStream(Stream output, ArchiveKey key)
    {
        _output = output;
        (_header, var derived) = EncryptionFormat.NewHeader(key);
        _aes = new AesGcm(derived, EncryptionFormat.TagBytes);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_fill == _plain.Length)
            {
                await SealAsync(last: false, cancellationToken);
            }

            var n = Math.Min(buffer.Length, _plain.Length - _fill);
            buffer.Span[..n].CopyTo(_plain.AsSpan(_fill));
            _fill += n;
            buffer = buffer[n..];
        }
    }

    public override async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (!_finished)
        {
            if (_fill == _plain.Length)
            {
                await SealAsync(last: false, cancellationToken);
            }

            await SealAsync(last: true, cancellationToken);
            _finished = true;
        }
    }

    private async Task SealAsync(bool last, CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await _output.WriteAsync(_header, cancellationToken);
            _headerWritten = true;
        }

        Span<byte> nonce = stackalloc byte[12];
        EncryptionFormat.Nonce(_header, _index++, nonce);
        _aes.Encrypt(nonce, _plain.AsSpan(0, _fill), _sealed.AsSpan(0, _fill), _sealed.AsSpan(_fill, EncryptionFormat.TagBytes), EncryptionFormat.Aad(_header, last));
        await _output.WriteAsync(_sealed.AsMemory(0, _fill + EncryptionFormat.TagBytes), cancellationToken);
        _fill = 0;
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
