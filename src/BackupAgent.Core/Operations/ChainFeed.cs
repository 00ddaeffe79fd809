using System.Threading.Channels;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The standard input of the one helper that stages a whole chain (<see cref="StagedTarget.StageChainAsync"/>): the
/// archives, each a header line and then exactly its declared tar size, handed over one after another by the reads that
/// verify them, then the end line. The tar of each archive is read where the helper's input is copied; whatever that
/// read throws (a damaged archive) goes back to the archive's sender, and the feed ends there, as it does when an
/// archive's tar is shorter than declared or the sender stops: the helper then sees its input end before the chain's.
/// </summary>
internal sealed class ChainFeed : ReadOnlyStream
{
    private readonly Channel<Part> _parts = Channel.CreateUnbounded<Part>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private Part? _current;
    private volatile bool _stopped;

    /// <summary>
    /// Hands <paramref name="tar"/> to the helper after <paramref name="header"/>; completes once its last byte of
    /// <paramref name="length"/> is taken (true), or when the tar ended before it (false; the feed ends), or throws what
    /// reading the tar threw (the feed ends). Never completes when the helper stops taking input.
    /// </summary>
    public Task<bool> SendAsync(byte[] header, Stream tar, long length)
    {
        var part = new Part(header, tar, length);
        if (_stopped || !_parts.Writer.TryWrite(part))
        {
            part.Taken.TrySetResult(false);
        }

        return part.Taken.Task;
    }

    /// <summary>Ends the feed after <paramref name="trailer"/> (the chain's end line), or at once (null: the helper's input ends before the chain's).</summary>
    public void End(byte[]? trailer)
    {
        if (trailer is null)
        {
            _stopped = true;
        }
        else if (!_stopped)
        {
            _parts.Writer.TryWrite(new Part(trailer, Null, 0));
        }

        _parts.Writer.TryComplete();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_stopped && !buffer.IsEmpty)
        {
            if (_current is not { } part)
            {
                if (!await _parts.Reader.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }

                _parts.Reader.TryRead(out _current);
                continue;
            }

            if (part.HeaderAt < part.Header.Length)
            {
                var n = Math.Min(buffer.Length, part.Header.Length - part.HeaderAt);
                part.Header.AsMemory(part.HeaderAt, n).CopyTo(buffer);
                part.HeaderAt += n;
                return n;
            }

            if (part.Remaining == 0)
            {
                _current = null;
                part.Taken.TrySetResult(true);
                continue;
            }

            int read;
            try
            {
                read = await part.Tar.ReadAsync(buffer[..(int)Math.Min(buffer.Length, part.Remaining)], cancellationToken);
            }
            catch (Exception e)
            {
                _stopped = true;
                part.Taken.TrySetException(e);
                return 0;
            }

            if (read == 0)
            {
                _stopped = true;
                part.Taken.TrySetResult(false);
                return 0;
            }

            part.Remaining -= read;
            if (part.Remaining == 0)
            {
                _current = null;
                part.Taken.TrySetResult(true);
            }

            return read;
        }

        return 0;
    }

    private sealed class Part(byte[] header, Stream tar, long length)
    {
        public byte[] Header { get; } = header;

        public int HeaderAt { get; set; }

        public Stream Tar { get; } = tar;

        public long Remaining { get; set; } = length;

        public TaskCompletionSource<bool> Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
