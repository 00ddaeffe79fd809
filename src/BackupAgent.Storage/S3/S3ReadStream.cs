using Amazon.S3.Model;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using Serilog;

namespace BackupAgent.Storage.S3;

/// <summary>
/// An object's content as a stream that survives dropped connections: when reading the body fails (or it ends short),
/// the rest is requested again from where it broke off, with a byte range and the first response's ETag, so the
/// object cannot change underneath; a read that brings nothing for <see cref="StallTimeout"/> counts as broken. Up to
/// the attempt limit in a row; then it fails naming the object.
/// </summary>
internal sealed class S3ReadStream : ReadOnlyStream
{
    /// <summary>A read that brings no byte for this long is a dead connection (a half-open one never fails by itself).</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(120);

    private readonly Func<long, string, CancellationToken, Task<GetObjectResponse>> _openFrom;
    private readonly string _name;
    private readonly string _location;
    private readonly int _maxAttempts;
    private readonly ILogger _log;
    private readonly long _length;
    private readonly string _etag;
    private GetObjectResponse _response;
    private long _position;
    private int _failuresInARow;
    private CancellationTokenSource? _stall;
    private CancellationToken _stallCaller;

    /// <param name="first">The first response (the whole object).</param>
    /// <param name="openFrom">Requests the object from a byte offset, matching an ETag (retries of the request itself included).</param>
    public S3ReadStream(GetObjectResponse first, Func<long, string, CancellationToken, Task<GetObjectResponse>> openFrom, string name, string location, int maxAttempts, ILogger log)
    {
        _response = first;
        _openFrom = openFrom;
        _name = name;
        _location = location;
        _maxAttempts = maxAttempts;
        _log = log;
        _length = first.ContentLength;
        _etag = first.ETag;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _position >= _length)
        {
            return 0;
        }

        while (true)
        {
            try
            {
                var n = await _response.ResponseStream.ReadAsync(buffer, ArmStall(cancellationToken));
                _stall!.CancelAfter(Timeout.InfiniteTimeSpan);
                if (n == 0)
                {
                    throw new IOException($"the body ended after {_position} of {_length} bytes");
                }

                _position += n;
                _failuresInARow = 0;
                return n;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (++_failuresInARow >= _maxAttempts)
                {
                    throw new BackupAgentException(
                        $"S3 read of '{_name}' in {_location} broke off at byte {_position} of {_length} {_failuresInARow} time(s) in a row: {e.Message}", inner: e);
                }

                _log.Warning("S3 read of {Name} in {Location} broke off at byte {Position} of {Length} ({Cause}); resuming from there",
                    _name, _location, _position, _length, e.Message);
                _response.Dispose();
                await Task.Delay(S3Calls.Backoff(_failuresInARow), cancellationToken);
                _response = await _openFrom(_position, _etag, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The token for one read: the caller's, and cancelled after <see cref="StallTimeout"/>. One source serves every
    /// read (this is the hot path) until it fires or the caller's token changes.
    /// </summary>
    private CancellationToken ArmStall(CancellationToken caller)
    {
        if (_stall is null || _stall.IsCancellationRequested || caller != _stallCaller)
        {
            _stall?.Dispose();
            _stall = CancellationTokenSource.CreateLinkedTokenSource(caller);
            _stallCaller = caller;
        }

        _stall.CancelAfter(StallTimeout);
        return _stall.Token;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stall?.Dispose();
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
