using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Storage.S3;

/// <summary>
/// A store in an S3 bucket under a key prefix, on AWS or any S3-compatible service. Writes stream: small items
/// go up in one PutObject, larger ones as a multipart upload that becomes visible only when it completes and is
/// aborted on failure, so a failed write never leaves anything under its name.
/// </summary>
public sealed class S3Store : IBackupStore
{
    private readonly IAmazonS3 _client;
    private readonly string _prefix;
    private readonly S3Options _options;
    private readonly S3Calls _calls;
    private readonly ILogger _log;

    internal S3Store(IAmazonS3 client, string bucket, string prefix, S3Options options, ILogger log)
    {
        _client = client;
        _prefix = prefix.Trim('/');
        _options = options;
        _log = log;
        Location = _prefix.Length == 0 ? $"s3://{bucket}" : $"s3://{bucket}/{_prefix}";
        _calls = new S3Calls(bucket, Location, options.MaxAttempts, log);
    }

    public string Location { get; }

    internal string Bucket => _calls.Bucket;

    /// <summary>Opens the store at <paramref name="location"/> with settings from <paramref name="environment"/>; bad settings are reported all at once.</summary>
    public static S3Store Open(StoreLocation location, Func<string, string?> environment, ILogger log)
    {
        var (options, problems) = S3Environment.Read(environment);
        S3OptionsValidator.EnsureValid(options, problems);
        return Open(location, options, log);
    }

    public static S3Store Open(StoreLocation location, S3Options options, ILogger log) =>
        new(S3ClientFactory.Create(options), location.Bucket ?? throw new ArgumentException("not an S3 location", nameof(location)), location.Path, options, log);

    public async Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        await using var upload = new S3UploadStream(_client, _calls, KeyOf(name), name, _options, _log);
        try
        {
            await writeContent(upload, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }
        catch
        {
            await upload.AbortAsync();
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        var response = await _calls.RunAsync("read", name, ct => _client.GetObjectAsync(Bucket, key, ct), cancellationToken);
        return new S3ReadStream(response, (from, etag, ct) => _calls.RunAsync("read", name, c => _client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            ByteRange = new ByteRange(from, response.ContentLength - 1),
            EtagToMatch = etag,
        }, c), ct), name, Location, _options.MaxAttempts, _log);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keyPrefix = _prefix.Length == 0 ? prefix : $"{_prefix}/{prefix}";
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = keyPrefix, ContinuationToken = continuation };
            var page = await _calls.RunAsync("list", prefix, ct => _client.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return _prefix.Length == 0 ? item.Key : item.Key[(_prefix.Length + 1)..];
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        return _calls.RunAsync("delete", name, ct => _client.DeleteObjectAsync(Bucket, key, ct), cancellationToken);
    }

    /// <summary>The key of a name, which must pass <see cref="StoreNames"/> like every store's names.</summary>
    private string KeyOf(string name)
    {
        StoreNames.Validate(name, Location);
        return _prefix.Length == 0 ? name : $"{_prefix}/{name}";
    }
}
