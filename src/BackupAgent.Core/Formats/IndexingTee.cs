using System.Buffers;
using System.Threading.Channels;

namespace BackupAgent.Core.Formats;

/// <summary>
/// Indexes a tar stream on the side while it is read: <see cref="Observe"/> wraps the source so that every chunk read
/// is also handed, through a bounded channel, to a <see cref="TarIndex"/> builder running concurrently.
/// </summary>
public sealed class IndexingTee : IAsyncDisposable
{
    private readonly Channel<(byte[] Buffer, int Count)> _chunks = Channel.CreateBounded<(byte[], int)>(16);
    private readonly Task<List<TarIndexEntry>> _index;

    public IndexingTee(CancellationToken cancellationToken)
    {
        _index = Task.Run(() => BuildAsync(new ChannelReadStream(_chunks.Reader), cancellationToken), cancellationToken);
    }

    private static async Task<List<TarIndexEntry>> BuildAsync(Stream tar, CancellationToken cancellationToken)
    {
        try
        {
            return await TarIndex.BuildAsync(tar, cancellationToken);
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

    /// <summary>Call once the source has been read to its end: returns the index.</summary>
    public async Task<List<TarIndexEntry>> FinishAsync()
    {
        _chunks.Writer.TryComplete();
        return await _index;
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

    private sealed class ChannelReadStream(ChannelReader<(byte[] Buffer, int Count)> chunks) : Stream
    {
        private byte[]? _current;
        private int _offset;
        private int _count;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

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

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
