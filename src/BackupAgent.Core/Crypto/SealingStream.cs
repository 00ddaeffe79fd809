using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// An encrypting stream: what is written to it is gathered into chunks of <paramref name="chunkBytes"/>, each sealed
/// by the format (<see cref="SealAsync"/>) once more data follows it, so that the last chunk can carry the last flag;
/// <see cref="FinishAsync"/> seals the last one. A format whose last chunk may not be a full one
/// (<paramref name="fullChunkMayBeLast"/> false) ends with an empty last chunk instead.
/// </summary>
public abstract class SealingStream(int chunkBytes, bool fullChunkMayBeLast) : WriteOnlyStream
{
    private readonly byte[] _plain = new byte[chunkBytes];
    private int _fill;
    private bool _finished;

    /// <summary>Seals one chunk of plaintext (at most a chunk's bytes) into the output.</summary>
    protected abstract ValueTask SealAsync(ReadOnlyMemory<byte> plain, bool last, CancellationToken cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_fill == _plain.Length)
            {
                await SealFilledAsync(last: false, cancellationToken);
            }

            var n = Math.Min(buffer.Length, _plain.Length - _fill);
            buffer.Span[..n].CopyTo(_plain.AsSpan(_fill));
            _fill += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>Seals the last (possibly empty) chunk. Without it the stored item reads as truncated.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (!_finished)
        {
            if (_fill == _plain.Length && !fullChunkMayBeLast)
            {
                await SealFilledAsync(last: false, cancellationToken);
            }

            await SealFilledAsync(last: true, cancellationToken);
            _finished = true;
        }
    }

    private async ValueTask SealFilledAsync(bool last, CancellationToken cancellationToken)
    {
        await SealAsync(_plain.AsMemory(0, _fill), last, cancellationToken);
        _fill = 0;
    }

    /// <summary>The encrypting stream of the format <paramref name="key"/> writes (<see cref="ArchiveKey.Format"/>).</summary>
    public static SealingStream For(Stream output, ArchiveKey key) =>
        key.Format == Age.AgeFormat.Name ? new Age.AgeEncryptingStream(output, key) : new EncryptingStream(output, key);
}
