using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// A decrypting stream: yields plaintext one authenticated chunk at a time, opened by the format
/// (<see cref="OpenNextChunkAsync"/>), until the chunk marked last.
/// </summary>
public abstract class OpeningStream : ReadOnlyStream
{
    private ReadOnlyMemory<byte> _chunk;
    private bool _ended;

    /// <summary>Reads and authenticates the next chunk; its plaintext stays valid until the next call.</summary>
    protected abstract ValueTask<(ReadOnlyMemory<byte> Plain, bool Last)> OpenNextChunkAsync(CancellationToken cancellationToken);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_chunk.IsEmpty)
        {
            if (_ended)
            {
                return 0;
            }

            (_chunk, _ended) = await OpenNextChunkAsync(cancellationToken);
        }

        var n = Math.Min(buffer.Length, _chunk.Length);
        _chunk[..n].CopyTo(buffer);
        _chunk = _chunk[n..];
        return n;
    }
}
