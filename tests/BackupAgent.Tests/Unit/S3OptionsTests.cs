using BackupAgent.Core.Errors;
using BackupAgent.Storage.S3;

namespace BackupAgent.Tests.Unit;

public sealed class S3OptionsTests
{
    private static S3Options Read(params (string Name, string Value)[] variables)
    {
        var (options, problems) = S3Environment.Read(name => variables.FirstOrDefault(v => v.Name == name).Value);
        S3OptionsValidator.EnsureValid(options, problems);
        return options;
    }

    [Fact]
    public void The_defaults_work_on_aws_and_the_compatibles()
    {
        var options = Read();
        Assert.Equal(ChecksumMode.WhenRequired, options.RequestChecksumCalculation);
        Assert.Equal(ChecksumMode.WhenRequired, options.ResponseChecksumValidation);
        Assert.Equal(5 * S3Options.MiB, options.PartSize);
        Assert.Equal(10_000, options.MaxParts);
        Assert.False(options.ForcePathStyle);
        Assert.Null(options.ServiceUrl);
    }

    [Fact]
    public void Aws_variables_and_agent_settings_are_read()
    {
        var options = Read(
            ("AWS_ENDPOINT_URL", "http://fallback:1"), ("AWS_ENDPOINT_URL_S3", "https://minio.local:9000"), ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "id"), ("AWS_SECRET_ACCESS_KEY", "secret"), ("AWS_PROFILE", "backup"),
            (S3Environment.PathStyle, "true"), (S3Environment.RequestChecksum, "WHEN_SUPPORTED"), (S3Environment.StorageClass, "STANDARD_IA"),
            (S3Environment.Sse, "aws:kms"), (S3Environment.SseKmsKeyId, "key-1"), (S3Environment.PartSizeMiB, "16"),
            (S3Environment.MaxParts, "1000"), (S3Environment.ParallelParts, "2"));
        Assert.Equal("https://minio.local:9000", options.ServiceUrl);
        Assert.Equal("eu-west-1", options.Region);
        Assert.Equal("backup", options.Profile);
        Assert.True(options.ForcePathStyle);
        Assert.Equal(ChecksumMode.WhenSupported, options.RequestChecksumCalculation);
        Assert.Equal(ChecksumMode.WhenRequired, options.ResponseChecksumValidation);
        Assert.Equal(("STANDARD_IA", "aws:kms", "key-1"), (options.StorageClass, options.ServerSideEncryption, options.KmsKeyId));
        Assert.Equal((16 * S3Options.MiB, 1000, 2), (options.PartSize, options.MaxParts, options.ParallelParts));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_without_the_secret()
    {
        var e = Assert.Throws<BadInputException>(() => Read(
            ("AWS_ENDPOINT_URL_S3", "ftp://x"), ("AWS_SECRET_ACCESS_KEY", "hush-hush"), (S3Environment.PathStyle, "maybe"),
            (S3Environment.PartSizeMiB, "2"), (S3Environment.MaxParts, "20000"), (S3Environment.ParallelParts, "many"),
            (S3Environment.Sse, "rot13"), (S3Environment.ResponseChecksum, "never")));
        Assert.Contains("AWS_ENDPOINT_URL_S3", e.Message);
        Assert.Contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_PATH_STYLE 'maybe'", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_PART_SIZE_MIB must be between 5", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_MAX_PARTS must be between 100 and 10000", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_PARALLEL_PARTS 'many'", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_SSE 'rot13'", e.Message);
        Assert.Contains("BACKUP_AGENT_S3_RESPONSE_CHECKSUM_VALIDATION 'never'", e.Message);
        Assert.DoesNotContain("hush-hush", e.Message);
    }

    [Theory]
    [InlineData(10_000, 1, 8)]
    [InlineData(10_000, 1000, 8)]
    [InlineData(10_000, 1001, 16)]
    [InlineData(10_000, 10_000, 1024)]
    [InlineData(1000, 100, 8)]
    [InlineData(1000, 101, 16)]
    public void Part_size_doubles_after_every_tenth_of_the_part_limit(int maxParts, int part, int mib)
    {
        Assert.Equal(mib * S3Options.MiB, new PartSizing(8 * S3Options.MiB, maxParts).SizeOf(part));
    }

    [Theory]
    [InlineData(10_000, 3900L << 30)]
    [InlineData(1000, 390L << 30)]
    public void The_default_part_sizes_cover_terabytes(int maxParts, long atLeast)
    {
        Assert.True(new PartSizing(8 * S3Options.MiB, maxParts).Capacity() >= atLeast);
    }
}
