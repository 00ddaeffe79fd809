using System.Security.Cryptography;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// Reads an age v1 file and yields its plaintext, authenticating every 64 KiB chunk before it yields it; a file that
/// ends without a valid last chunk fails. Holds one chunk (and its header) at a time.
/// </summary>
public sealed class AgeDecryptingStream(Stream input, ArchiveKey key, string archive) : OpeningStream
{
    private const int SealedChunk = AgeFormat.ChunkBytes + AgeFormat.TagBytes;

    // One sealed chunk and one byte more: a chunk is the last one exactly when nothing follows it.
    private readonly byte[] _sealed = new byte[SealedChunk + 1];
    private readonly byte[] _plain = new byte[AgeFormat.ChunkBytes];
    private byte[]? _payloadKey;
    private int _sealedFill;
    private ulong _counter;

    protected override async ValueTask<(ReadOnlyMemory<byte> Plain, bool Last)> OpenNextChunkAsync(CancellationToken cancellationToken)
    {
        if (_payloadKey is null)
        {
            await OpenHeaderAsync(cancellationToken);
        }

        _sealedFill += await input.ReadAtLeastAsync(_sealed.AsMemory(_sealedFill), _sealed.Length - _sealedFill, throwOnEndOfStream: false, cancellationToken);
        var last = _sealedFill <= SealedChunk;
        var length = last ? _sealedFill : SealedChunk;
        if (length < AgeFormat.TagBytes)
        {
            throw Damaged(_counter == 0 && length == 0 ? "it has no payload (truncated)" : "it is truncated");
        }

        if (last && length == AgeFormat.TagBytes && _counter > 0)
        {
            throw Damaged("its last chunk is empty");
        }

        Open(length, last);
        if (!last)
        {
            _sealed[0] = _sealed[SealedChunk];
            _sealedFill = 1;
        }

        return (_plain.AsMemory(0, length - AgeFormat.TagBytes), last);
    }

    private void Open(int length, bool last)
    {
        Span<byte> nonce = stackalloc byte[12];
        AgeFormat.ChunkNonce(_counter++, last, nonce);
        try
        {
            Geralt.ChaCha20Poly1305.Decrypt(_plain.AsSpan(0, length - AgeFormat.TagBytes), _sealed.AsSpan(0, length), nonce, _payloadKey);
        }
        catch (CryptographicException)
        {
            throw Damaged(last ? $"it was tampered with or truncated (chunk {_counter - 1} fails authentication)" : $"it was tampered with (chunk {_counter - 1} fails authentication)");
        }
    }

    /// <summary>Reads the header (and the payload's nonce), unwraps the file key and keeps what follows for the first chunk.</summary>
    private async Task OpenHeaderAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var fill = 0;
        int end;
        while ((end = AgeHeader.End(buffer.AsSpan(0, fill))) < 0)
        {
            if (fill == buffer.Length)
            {
                if (buffer.Length >= AgeHeader.MaxBytes)
                {
                    throw Damaged($"its header is longer than {AgeHeader.MaxBytes} bytes, or it is not an age file");
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await input.ReadAsync(buffer.AsMemory(fill), cancellationToken);
            if (read == 0)
            {
                throw fill == 0 ? Damaged("it is empty") : AgeHeader.Damaged(archive, buffer.AsSpan(0, Math.Min(fill, 22)).SequenceEqual("age-encryption.org/v1\n"u8[..Math.Min(fill, 22)]) ? "its header is truncated" : "it is not an age file");
            }

            fill += read;
        }

        var fileKey = AgeFormat.OpenHeader(buffer.AsSpan(0, end), key, archive);
        var nonce = new byte[AgeFormat.NonceBytes];
        var fromRest = Math.Min(fill - end, nonce.Length);
        buffer.AsSpan(end, fromRest).CopyTo(nonce);
        if (fromRest < nonce.Length && await input.ReadAtLeastAsync(nonce.AsMemory(fromRest), nonce.Length - fromRest, throwOnEndOfStream: false, cancellationToken) < nonce.Length - fromRest)
        {
            throw Damaged("it is truncated (no payload nonce)");
        }

        buffer.AsSpan(end + fromRest, fill - end - fromRest).CopyTo(_sealed);
        _sealedFill = fill - end - fromRest;
        _payloadKey = AgeFormat.PayloadKey(fileKey, nonce);
        CryptographicOperations.ZeroMemory(fileKey);
    }

    private BackupAgentException Damaged(string how) => AgeHeader.Damaged(archive, how);

    protected override void Dispose(bool disposing)
    {
        if (disposing && _payloadKey is not null)
        {
            CryptographicOperations.ZeroMemory(_payloadKey);
        }

        base.Dispose(disposing);
    }
}
