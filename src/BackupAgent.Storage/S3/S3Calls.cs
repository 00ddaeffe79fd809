using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Storage.S3;

/// <summary>
/// The one retry policy and error translation of every S3 request: transient errors are retried with exponential
/// backoff (200 ms doubling, capped at 10 s, with jitter) up to the attempt limit; the rest fail at once as
/// errors that name the bucket and the cause. Cancellation by the caller is never retried.
/// </summary>
internal sealed class S3Calls(string bucket, string location, int maxAttempts, ILogger log)
{
    /// <summary>How the policy waits; tests replace it.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public string Bucket => bucket;

    public string Location => location;

    public async Task<T> RunAsync<T>(string action, string name, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not BackupAgentException)
            {
                var kind = S3Errors.Classify(e);
                if (kind != S3ErrorKind.Transient || attempt >= maxAttempts)
                {
                    throw Translate(e, kind, action, name, attempt);
                }

                var wait = Backoff(attempt);
                log.Warning("S3 {Action} of {Name} in {Location} failed ({Cause}); attempt {Next} of {MaxAttempts} in {DelayMs} ms",
                    action, name, location, S3Errors.Describe(e), attempt + 1, maxAttempts, (int)wait.TotalMilliseconds);
                await Delay(wait, cancellationToken);
            }
        }
    }

    public static TimeSpan Backoff(int attempt)
    {
        var baseMs = Math.Min(10_000, 200 * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(baseMs * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private BackupAgentException Translate(Exception e, S3ErrorKind kind, string action, string name, int attempts) => kind switch
    {
        S3ErrorKind.NotFound => new StoreItemNotFoundException(location, name),
        S3ErrorKind.NoSuchBucket => new BackupAgentException($"S3 bucket '{bucket}' does not exist ({S3Errors.Describe(e)}); create it or fix {location}", inner: e),
        S3ErrorKind.AccessDenied => new BackupAgentException(
            $"S3 refused access to bucket '{bucket}' ({S3Errors.Describe(e)}); check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and the bucket's permissions",
            inner: e),
        S3ErrorKind.Transient => new BackupAgentException(
            $"S3 {action} of '{name}' in bucket '{bucket}' failed after {attempts} attempt(s): {S3Errors.Describe(e)}", inner: e),
        _ => new BackupAgentException($"S3 {action} of '{name}' in bucket '{bucket}' failed: {S3Errors.Describe(e)}", inner: e),
    };
}
