using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace BackupAgent.Storage.S3;

/// <summary>Builds the AWS SDK client from <see cref="S3Options"/>. Retries are off here: <see cref="S3Calls"/> is the one policy.</summary>
internal static class S3ClientFactory
{
    public static AmazonS3Client Create(S3Options options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = options.RequestChecksumCalculation == ChecksumMode.WhenRequired
                ? RequestChecksumCalculation.WHEN_REQUIRED
                : RequestChecksumCalculation.WHEN_SUPPORTED,
            ResponseChecksumValidation = options.ResponseChecksumValidation == ChecksumMode.WhenRequired
                ? ResponseChecksumValidation.WHEN_REQUIRED
                : ResponseChecksumValidation.WHEN_SUPPORTED,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (options.Profile is { } profile)
        {
            config.Profile = new Profile(profile);
        }

        if (options.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        AWSCredentials? credentials = options switch
        {
            { AccessKeyId: { } id, SecretAccessKey: { } secret, SessionToken: { } token } => new SessionAWSCredentials(id, secret, token),
            { AccessKeyId: { } id, SecretAccessKey: { } secret } => new BasicAWSCredentials(id, secret),
            _ => null,
        };
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
