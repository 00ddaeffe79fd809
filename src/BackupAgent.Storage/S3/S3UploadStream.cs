using System.Runtime.ExceptionServices;
using Amazon.S3;
using Amazon.S3.Model;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using Serilog;

namespace BackupAgent.Storage.S3;

/// <summary>
/// The stream an S3 write callback writes into. Bytes fill a part buffer; each full buffer is uploaded as a part
/// in the background, at most <see cref="S3Options.ParallelParts"/> at once, while writing goes on into the next
/// buffer, so memory stays at part size × (parallel parts + 1). Part sizes follow <see cref="PartSizing"/>.
/// An item smaller than one part is sent with a single PutObject. Nothing is visible under the key until
/// <see cref="CompleteAsync"/> succeeds; <see cref="AbortAsync"/> discards the upload (best-effort).
/// </summary>
internal sealed class S3UploadStream : WriteOnlyStream
{
    private readonly IAmazonS3 _client;
    private readonly S3Calls _calls;
    private readonly string _key;
    private readonly string _name;
    private readonly S3Options _options;
    private readonly ILogger _log;
    private readonly PartSizing _sizing;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task<PartETag>> _parts = [];
    private readonly Stack<byte[]> _free = new();
    private byte[] _buffer;
    private int _filled;
    private string? _uploadId;
    private ExceptionDispatchInfo? _failure;

    public S3UploadStream(IAmazonS3 client, S3Calls calls, string key, string name, S3Options options, ILogger log)
    {
        _client = client;
        _calls = calls;
        _key = key;
        _name = name;
        _options = options;
        _log = log;
        _sizing = new PartSizing(options.PartSize, options.MaxParts);
        _slots = new SemaphoreSlim(options.ParallelParts);
        _buffer = new byte[_sizing.SizeOf(1)];
    }

    public long Bytes { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            _failure?.Throw();
            var n = Math.Min(_buffer.Length - _filled, buffer.Length);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            Bytes += n;
            buffer = buffer[n..];
            if (_filled == _buffer.Length)
            {
                await StartPartAsync(cancellationToken);
            }
        }
    }

    /// <summary>Sends what is left and makes the item visible under its key.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _failure?.Throw();
        if (_uploadId is null)
        {
            await _calls.RunAsync("upload", _name, ct => _client.PutObjectAsync(Describe(new PutObjectRequest
            {
                BucketName = _calls.Bucket,
                Key = _key,
                InputStream = new MemoryStream(_buffer, 0, _filled, writable: false),
                UseChunkEncoding = false,
            }), ct), cancellationToken);
            return;
        }

        if (_filled > 0)
        {
            await StartPartAsync(cancellationToken);
        }

        var etags = await AwaitPartsAsync();
        await _calls.RunAsync("completion of the upload", _name, ct => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _calls.Bucket,
            Key = _key,
            UploadId = _uploadId,
            PartETags = etags.OrderBy(p => p.PartNumber).ToList(),
        }, ct), cancellationToken);
        _log.Debug("Uploaded {Name} to {Location} in {Parts} part(s), {Bytes} bytes", _name, _calls.Location, etags.Length, Bytes);
        _uploadId = null;
    }

    /// <summary>Stops the parts in flight and aborts the multipart upload. Best-effort: never throws.</summary>
    public async Task AbortAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_parts);
        }
        catch (Exception)
        {
            // The parts' failure (or cancellation) is already on its way to the caller.
        }

        if (_uploadId is not { } uploadId)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _calls.Bucket, Key = _key, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception e)
        {
            _log.Warning("Could not abort the unfinished upload of {Name} in {Location} ({Cause}); it is not visible, and a lifecycle rule for incomplete multipart uploads removes its parts",
                _name, _calls.Location, S3Errors.Describe(e));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Dispose();
            _slots.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task StartPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await _calls.RunAsync("start of a multipart upload", _name, ct => _client.InitiateMultipartUploadAsync(
            Describe(new InitiateMultipartUploadRequest { BucketName = _calls.Bucket, Key = _key }), ct), cancellationToken)).UploadId;
        var partNumber = _parts.Count + 1;
        if (partNumber > _sizing.MaxParts)
        {
            throw new BackupAgentException(
                $"'{_name}' is too large for {_sizing.MaxParts} parts starting at {_options.PartSize / S3Options.MiB} MiB ({_sizing.Capacity()} bytes); raise {S3Environment.PartSizeMiB}");
        }

        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token))
        {
            try
            {
                await _slots.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (_failure is not null)
            {
                _failure.Throw();
            }
        }

        _failure?.Throw();
        var (buffer, length) = (_buffer, _filled);
        _parts.Add(Task.Run(() => UploadPartAsync(partNumber, buffer, length)));
        _buffer = TakeBuffer(_sizing.SizeOf(partNumber + 1));
        _filled = 0;
    }

    private async Task<PartETag> UploadPartAsync(int partNumber, byte[] buffer, int length)
    {
        try
        {
            var response = await _calls.RunAsync($"upload of part {partNumber}", _name, ct => _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _calls.Bucket,
                Key = _key,
                UploadId = _uploadId,
                PartNumber = partNumber,
                InputStream = new MemoryStream(buffer, 0, length, writable: false),
                PartSize = length,
                UseChunkEncoding = false,
            }, ct), _stop.Token);
            return new PartETag(partNumber, response.ETag);
        }
        catch (Exception e)
        {
            if (Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null) is null)
            {
                await _stop.CancelAsync();
            }

            throw;
        }
        finally
        {
            lock (_free)
            {
                _free.Push(buffer);
            }

            _slots.Release();
        }
    }

    private async Task<PartETag[]> AwaitPartsAsync()
    {
        try
        {
            return await Task.WhenAll(_parts);
        }
        catch when (_failure is not null)
        {
            _failure.Throw();
            throw;
        }
    }

    /// <summary>A free buffer of the size; buffers of an earlier, smaller part size are dropped.</summary>
    private byte[] TakeBuffer(int size)
    {
        lock (_free)
        {
            while (_free.TryPop(out var buffer))
            {
                if (buffer.Length == size)
                {
                    return buffer;
                }
            }
        }

        return new byte[size];
    }

    private PutObjectRequest Describe(PutObjectRequest request)
    {
        request.StorageClass = _options.StorageClass is { } storageClass ? S3StorageClass.FindValue(storageClass) : null;
        request.ServerSideEncryptionMethod = _options.ServerSideEncryption is { } sse ? ServerSideEncryptionMethod.FindValue(sse) : null;
        request.ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId;
        return request;
    }

    private InitiateMultipartUploadRequest Describe(InitiateMultipartUploadRequest request)
    {
        request.StorageClass = _options.StorageClass is { } storageClass ? S3StorageClass.FindValue(storageClass) : null;
        request.ServerSideEncryptionMethod = _options.ServerSideEncryption is { } sse ? ServerSideEncryptionMethod.FindValue(sse) : null;
        request.ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId;
        return request;
    }
}
