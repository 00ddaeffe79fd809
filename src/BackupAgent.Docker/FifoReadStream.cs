using BackupAgent.Core.Formats;

namespace BackupAgent.Docker;

/// <summary>
/// The read end of a helper's FIFO once it is open. A read of a FIFO is a blocking system call that a token
/// cannot interrupt, so each read goes into a private buffer and a cancelled caller stops waiting for it
/// (the helper's removal then ends it); the caller's buffer is never written after it gave up.
/// </summary>
internal sealed class FifoReadStream(Task<FileStream> open) : ReadOnlyStream
{
    private readonly byte[] _buffer = new byte[OverlappedCopy.BufferBytes];
    private Task<int>? _pending;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var fifo = await open.WaitAsync(cancellationToken);
        _pending ??= fifo.ReadAsync(_buffer, 0, Math.Min(_buffer.Length, buffer.Length), CancellationToken.None);
        var n = await _pending.WaitAsync(cancellationToken);
        _pending = null;
        _buffer.AsSpan(0, n).CopyTo(buffer.Span);
        return n;
    }
}
