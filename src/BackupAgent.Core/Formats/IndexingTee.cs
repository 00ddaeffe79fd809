using System.Buffers;
using System.Threading.Channels;

namespace BackupAgent.Core.Formats;

/// <summary>
/// Indexes a tar stream on the side while it is read: <see cref="Observe"/> wraps the source so that every chunk read
/// is also handed, through a bounded channel, to a <see cref="TarIndex"/> reader running concurrently, which hands
/// each entry on as it passes. Memory stays bounded whatever the size or the number of files.
/// </summary>
public sealed class IndexingTee : IAsyncDisposable
{
    private readonly Channel<(byte[] Buffer, int Count)> _chunks = Channel.CreateBounded<(byte[], int)>(16);
    private readonly Task _index;

    /// <summary>Hands every entry of the tar read through <see cref="Observe"/> to <paramref name="onEntry"/>, as it passes.</summary>
    public IndexingTee(Func<TarIndexEntry, CancellationToken, ValueTask> onEntry, CancellationToken cancellationToken)
    {
        _index = Task.Run(() => IndexAsync(new ChannelReadStream(_chunks.Reader), onEntry, cancellationToken), cancellationToken);
    }

    private static async Task IndexAsync(Stream tar, Func<TarIndexEntry, CancellationToken, ValueTask> onEntry, CancellationToken cancellationToken)
    {
        try
        {
            await TarIndex.StreamAsync(tar, onEntry, cancellationToken);
        }
        finally
        {
            // Read what follows the end-of-archive marker (tar pads its last record), or what a failed parse left,
            // so that the reading side is never blocked on a full channel.
            try
            {
                await tar.CopyToAsync(Stream.Null, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public Stream Observe(Stream source) => new TeeReadStream(source, _chunks.Writer);

    /// <summary>Call once the source has been read to its end: waits until every entry was handed on.</summary>
    public async Task FinishAsync()
    {
        _chunks.Writer.TryComplete();
        await _index;
    }

    public async ValueTask DisposeAsync()
    {
        _chunks.Writer.TryComplete(new OperationCanceledException("the archive was not read to its end"));
        try
        {
            await _index;
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidDataException or EndOfStreamException or FormatException)
        {
        }
    }

    private sealed class TeeReadStream(Stream inner, ChannelWriter<(byte[], int)> side) : PassThroughStream(inner)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await Inner.ReadAsync(buffer, cancellationToken);
            if (n > 0)
            {
                var copy = ArrayPool<byte>.Shared.Rent(n);
                buffer.Span[..n].CopyTo(copy);
                await side.WriteAsync((copy, n), cancellationToken);
            }

            return n;
        }

        public override int Read(Span<byte> buffer) => throw new NotSupportedException("read asynchronously");
    }

    private sealed class ChannelReadStream(ChannelReader<(byte[] Buffer, int Count)> chunks) : ReadOnlyStream
    {
        private byte[]? _current;
        private int _offset;
        private int _count;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_current is null || _offset == _count)
            {
                if (_current is not null)
                {
                    ArrayPool<byte>.Shared.Return(_current);
                    _current = null;
                }

                if (!await chunks.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }

                (_current, _count) = await chunks.ReadAsync(cancellationToken);
                _offset = 0;
            }

            var n = Math.Min(buffer.Length, _count - _offset);
            _current.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }
    }
}
