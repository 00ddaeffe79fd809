using System.Security.Cryptography;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto;

/// <summary>Reads <see cref="EncryptionFormat"/> and yields the plaintext, authenticating every chunk before it yields it.</summary>
public sealed class DecryptingStream(Stream input, ArchiveKey key, string archive) : Stream
{
    private byte[] _header = [];
    private AesGcm? _aes;
    private byte[] _sealed = [];
    private byte[] _plain = [];
    private int _plainStart;
    private int _plainEnd;
    private uint _index;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_plainStart == _plainEnd)
        {
            if (_ended)
            {
                return 0;
            }

            await OpenNextChunkAsync(cancellationToken);
        }

        var n = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _plain.AsMemory(_plainStart, n).CopyTo(buffer);
        _plainStart += n;
        return n;
    }

    private async Task OpenNextChunkAsync(CancellationToken cancellationToken)
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

        _plainStart = 0;
        _plainEnd = length;
        _ended = last;
    }

    private BackupAgentException Damaged(string how) =>
        new($"cannot decrypt archive '{archive}': {how} (chunk {_index - 1} fails authentication)");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes?.Dispose();
        }

        base.Dispose(disposing);
    }
}
