using System.Security.Cryptography;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>Encrypts what is written to it into an age v1 file (see <see cref="AgeFormat"/>), holding one 64 KiB chunk at a time.</summary>
public sealed class AgeEncryptingStream : SealingStream
{
    private readonly Stream _output;
    private readonly byte[] _header;
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(AgeFormat.NonceBytes);
    private readonly byte[] _payloadKey;
    private readonly byte[] _plain = new byte[AgeFormat.ChunkBytes];
    private readonly byte[] _sealed = new byte[AgeFormat.ChunkBytes + AgeFormat.TagBytes];
    private int _fill;
    private ulong _counter;
    private bool _started;
    private bool _finished;

    public AgeEncryptingStream(Stream output, ArchiveKey key)
    {
        _output = output;
        (_header, var fileKey) = AgeFormat.NewHeader(key);
        _payloadKey = AgeFormat.PayloadKey(fileKey, _nonce);
        CryptographicOperations.ZeroMemory(fileKey);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            // A full chunk is sealed only once more data comes: the last chunk must carry the last flag.
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
            await SealAsync(last: true, cancellationToken);
            _finished = true;
        }
    }

    private async Task SealAsync(bool last, CancellationToken cancellationToken)
    {
        if (!_started)
        {
            await _output.WriteAsync(_header, cancellationToken);
            await _output.WriteAsync(_nonce, cancellationToken);
            _started = true;
        }

        var nonce = new byte[12];
        AgeFormat.ChunkNonce(_counter++, last, nonce);
        Geralt.ChaCha20Poly1305.Encrypt(_sealed.AsSpan(0, _fill + AgeFormat.TagBytes), _plain.AsSpan(0, _fill), nonce, _payloadKey);
        await _output.WriteAsync(_sealed.AsMemory(0, _fill + AgeFormat.TagBytes), cancellationToken);
        _fill = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CryptographicOperations.ZeroMemory(_payloadKey);
        }

        base.Dispose(disposing);
    }
}
