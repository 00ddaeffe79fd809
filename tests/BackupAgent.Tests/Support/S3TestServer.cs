using Amazon.Runtime;
using Amazon.S3;
using BackupAgent.Storage.S3;

namespace BackupAgent.Tests.Support;

/// <summary>
/// The S3 server install/test starts (s3rver on 127.0.0.1), found through BACKUP_AGENT_TEST_S3_ENDPOINT. Without it,
/// or when it does not answer, tests fail loudly. Each test makes its own bucket.
/// </summary>
public static class S3TestServer
{
    public const string EndpointVariable = "BACKUP_AGENT_TEST_S3_ENDPOINT";

    /// <summary>s3rver's built-in credentials.</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>
    /// The agent's secret key: s3rver does not check signatures, so it can be one that the suite registers as a secret
    /// and finds in no output of the agent.
    /// </summary>
    public static readonly string SecretKey = Secrets.Register($"ba-s3-secret-{Guid.NewGuid():N}");

    public static string Endpoint => Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } endpoint
        ? endpoint
        : throw new InvalidOperationException($"{EndpointVariable} is not set: these tests need the S3 server that install/test starts (run install/test)");

    /// <summary>The agent's environment for an S3 server at <paramref name="endpoint"/>.</summary>
    public static Dictionary<string, string?> AgentEnvironment(string? endpoint = null) => new()
    {
        ["AWS_ENDPOINT_URL_S3"] = endpoint ?? Endpoint,
        ["AWS_ENDPOINT_URL"] = null,
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_PROFILE"] = null,
        ["AWS_REGION"] = "us-east-1",
        [S3Environment.PathStyle] = "true",
        [S3Environment.MaxAttempts] = "3",
    };

    public static S3Options Options(string? endpoint = null)
    {
        var environment = AgentEnvironment(endpoint);
        var (options, problems) = S3Environment.Read(name => environment.GetValueOrDefault(name));
        Assert.Empty(problems);
        return options;
    }

    public static IAmazonS3 Client(string? endpoint = null) =>
        new AmazonS3Client(AccessKey, AccessKey, new AmazonS3Config { ServiceURL = endpoint ?? Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    /// <summary>Creates a bucket with a unique name; fails naming the endpoint when the server does not answer.</summary>
    public static async Task<string> CreateBucketAsync(string? endpoint = null)
    {
        var bucket = $"ba-test-{Guid.NewGuid():N}"[..24];
        try
        {
            using var client = Client(endpoint);
            await client.PutBucketAsync(bucket);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or AmazonClientException)
        {
            throw new InvalidOperationException($"the S3 server at {endpoint ?? Endpoint} does not answer: {e.Message}", e);
        }

        return bucket;
    }
}
