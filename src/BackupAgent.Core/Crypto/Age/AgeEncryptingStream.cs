using System.Security.Cryptography;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>Encrypts what is written to it into an age v1 file (see <see cref="AgeFormat"/>), holding one 64 KiB chunk at a time.</summary>
public sealed class AgeEncryptingStream : SealingStream
{
    private readonly Stream _output;
    private readonly byte[] _header;
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(AgeFormat.NonceBytes);
    private readonly byte[] _payloadKey;
    private readonly byte[] _sealed = new byte[AgeFormat.ChunkBytes + AgeFormat.TagBytes];
    private ulong _counter;
    private bool _started;

    public AgeEncryptingStream(Stream output, ArchiveKey key)
        : base(AgeFormat.ChunkBytes, fullChunkMayBeLast: true)
    {
        _output = output;
        (_header, var fileKey) = AgeFormat.NewHeader(key);
        _payloadKey = AgeFormat.PayloadKey(fileKey, _nonce);
        CryptographicOperations.ZeroMemory(fileKey);
    }

    protected override async ValueTask SealAsync(ReadOnlyMemory<byte> plain, bool last, CancellationToken cancellationToken)
    {
        if (!_started)
        {
            await _output.WriteAsync(_header, cancellationToken);
            await _output.WriteAsync(_nonce, cancellationToken);
            _started = true;
        }

        Seal(plain.Span, last);
        await _output.WriteAsync(_sealed.AsMemory(0, plain.Length + AgeFormat.TagBytes), cancellationToken);
    }

    private void Seal(ReadOnlySpan<byte> plain, bool last)
    {
        Span<byte> nonce = stackalloc byte[12];
        AgeFormat.ChunkNonce(_counter++, last, nonce);
        Geralt.ChaCha20Poly1305.Encrypt(_sealed.AsSpan(0, plain.Length + AgeFormat.TagBytes), plain, nonce, _payloadKey);
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
