using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.S3;

namespace BackupAgent.Tests.Unit;

public sealed class S3RetryTests
{
    private readonly List<TimeSpan> _waits = [];

    private S3Calls Calls(int maxAttempts = 4) => new("bkt", "s3://bkt/p", maxAttempts, Serilog.Core.Logger.None)
    {
        Delay = (wait, _) =>
        {
            _waits.Add(wait);
            return Task.CompletedTask;
        },
    };

    private static AmazonS3Exception Service(HttpStatusCode status, string code) =>
        new($"{code} happened") { StatusCode = status, ErrorCode = code };

    public static TheoryData<Exception> Transient() => new()
    {
        Service(HttpStatusCode.InternalServerError, "InternalError"),
        Service(HttpStatusCode.ServiceUnavailable, "SlowDown"),
        Service((HttpStatusCode)429, "TooManyRequests"),
        new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new IOException("Connection reset by peer"),
        new TaskCanceledException("The request timed out"),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public async Task Transient_errors_are_retried_with_growing_waits(Exception error)
    {
        var attempts = 0;
        var result = await Calls().RunAsync("read", "x", _ => ++attempts < 3 ? throw error : Task.FromResult(42), CancellationToken.None);
        Assert.Equal((42, 3), (result, attempts));
        Assert.Equal(2, _waits.Count);
        Assert.True(_waits[1] > _waits[0]);
    }

    [Fact]
    public async Task A_transient_error_that_persists_fails_after_the_last_attempt_naming_the_bucket()
    {
        var attempts = 0;
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => Calls(3).RunAsync<int>("upload of part 2", "set/a.tar", _ =>
        {
            attempts++;
            throw new HttpRequestException("Connection refused (127.0.0.1:9)");
        }, CancellationToken.None));
        Assert.Equal(3, attempts);
        Assert.Equal("S3 upload of part 2 of 'set/a.tar' in bucket 'bkt' failed after 3 attempt(s): Connection refused (127.0.0.1:9)", e.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "InvalidAccessKeyId", "S3 refused access to bucket 'bkt' (HTTP 403 InvalidAccessKeyId")]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied", "S3 refused access to bucket 'bkt' (HTTP 403 AccessDenied")]
    [InlineData(HttpStatusCode.NotFound, "NoSuchBucket", "S3 bucket 'bkt' does not exist (HTTP 404 NoSuchBucket")]
    [InlineData(HttpStatusCode.BadRequest, "InvalidArgument", "S3 read of 'x' in bucket 'bkt' failed: HTTP 400 InvalidArgument")]
    public async Task Permanent_errors_fail_at_once_naming_the_bucket_and_the_cause(HttpStatusCode status, string code, string message)
    {
        var attempts = 0;
        var e = await Assert.ThrowsAsync<BackupAgentException>(() => Calls().RunAsync<int>("read", "x", _ =>
        {
            attempts++;
            throw Service(status, code);
        }, CancellationToken.None));
        Assert.Equal(1, attempts);
        Assert.StartsWith(message, e.Message);
        Assert.Equal(FailureKind.OperationFailed, e.Kind);
    }

    [Fact]
    public async Task A_missing_key_is_store_item_not_found()
    {
        var e = await Assert.ThrowsAsync<StoreItemNotFoundException>(() =>
            Calls().RunAsync<int>("read", "s/manifest.json", _ => throw Service(HttpStatusCode.NotFound, "NoSuchKey"), CancellationToken.None));
        Assert.Equal("s/manifest.json", e.Name);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_retried()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Calls().RunAsync<int>("read", "x", ct => throw new OperationCanceledException(ct), cancel.Token));
        Assert.Empty(_waits);
    }
}
