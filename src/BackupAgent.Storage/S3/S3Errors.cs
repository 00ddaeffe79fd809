using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace BackupAgent.Storage.S3;

/// <summary>What an error from S3 (or the way to it) means for the caller.</summary>
internal enum S3ErrorKind
{
    /// <summary>Worth another attempt: 5xx, throttling, timeouts, refused or reset connections.</summary>
    Transient,

    /// <summary>The credentials are wrong or lack the permission.</summary>
    AccessDenied,

    NoSuchBucket,

    /// <summary>The item (key) does not exist.</summary>
    NotFound,

    /// <summary>Anything else: retrying would not help.</summary>
    Permanent,
}

/// <summary>Classifies and describes S3 errors, in one place. Descriptions carry no secret or signed URL.</summary>
internal static class S3Errors
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeoutException", "InternalError",
        "ServiceUnavailable", "RequestLimitExceeded", "TooManyRequestsException", "BandwidthLimitExceeded",
    };

    private static readonly HashSet<string> AccessCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AllAccessDisabled",
    };

    public static S3ErrorKind Classify(Exception e)
    {
        if (e is AmazonS3Exception s3)
        {
            return s3.ErrorCode switch
            {
                "NoSuchBucket" => S3ErrorKind.NoSuchBucket,
                "NoSuchKey" => S3ErrorKind.NotFound,
                { } code when AccessCodes.Contains(code) => S3ErrorKind.AccessDenied,
                { } code when TransientCodes.Contains(code) => S3ErrorKind.Transient,
                _ when (int)s3.StatusCode >= 500 || s3.StatusCode == HttpStatusCode.TooManyRequests => S3ErrorKind.Transient,
                _ when s3.StatusCode == HttpStatusCode.Forbidden => S3ErrorKind.AccessDenied,
                _ when s3.StatusCode == HttpStatusCode.NotFound && s3.ErrorCode is null => S3ErrorKind.NotFound,
                _ when s3.StatusCode == 0 && s3.InnerException is { } inner => Classify(inner),
                _ => S3ErrorKind.Permanent,
            };
        }

        return e switch
        {
            HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException => S3ErrorKind.Transient,
            AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError } => S3ErrorKind.Transient,
            { InnerException: { } inner } => Classify(inner),
            _ => S3ErrorKind.Permanent,
        };
    }

    /// <summary>A short cause for messages: the service's status and code, or the innermost transport error.</summary>
    public static string Describe(Exception e)
    {
        if (e is AmazonServiceException { StatusCode: not 0 } service)
        {
            var code = service.ErrorCode is { Length: > 0 } c ? $" {c}" : "";
            var message = service.Message is { Length: > 0 } m ? $": {FirstLine(m)}" : "";
            return $"HTTP {(int)service.StatusCode}{code}{message}";
        }

        var innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return FirstLine(innermost.Message);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
