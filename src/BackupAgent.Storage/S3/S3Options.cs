namespace BackupAgent.Storage.S3;

/// <summary>Whether the client computes (requests) or checks (responses) checksums always it can, or only when the operation requires it.</summary>
public enum ChecksumMode
{
    WhenRequired,
    WhenSupported,
}

/// <summary>
/// Every setting of an S3 store, in one record so that it can be bound from the environment now and from the
/// configuration file later; <see cref="S3OptionsValidator"/> checks it. Null means "let the AWS SDK decide"
/// (its credential chain, profiles and region lookup). Never logged whole: it may carry a secret key.
/// </summary>
public sealed record S3Options
{
    public const int MiB = 1024 * 1024;

    /// <summary>S3's smallest part (every part but the last).</summary>
    public const int MinimumPartSize = 5 * MiB;

    /// <summary>The endpoint of an S3-compatible service (MinIO, R2, B2, ...); null for AWS.</summary>
    public string? ServiceUrl { get; init; }

    public string? Region { get; init; }

    /// <summary>A profile of ~/.aws/credentials or ~/.aws/config.</summary>
    public string? Profile { get; init; }

    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    /// <summary>Path-style addressing (http://host/bucket/key), which most compatibles and local servers need.</summary>
    public bool ForcePathStyle { get; init; }

    public ChecksumMode RequestChecksumCalculation { get; init; } = ChecksumMode.WhenRequired;

    public ChecksumMode ResponseChecksumValidation { get; init; } = ChecksumMode.WhenRequired;

    /// <summary>e.g. STANDARD_IA, GLACIER_IR; null for the bucket's default.</summary>
    public string? StorageClass { get; init; }

    /// <summary>AES256 or aws:kms; null for the bucket's default.</summary>
    public string? ServerSideEncryption { get; init; }

    public string? KmsKeyId { get; init; }

    /// <summary>The size of the first parts of a multipart upload; see <see cref="PartSizing"/> for how it grows.</summary>
    public int PartSize { get; init; } = 5 * MiB;

    /// <summary>The provider's limit on parts per upload: 10,000 on AWS, 1,000 on some compatibles.</summary>
    public int MaxParts { get; init; } = 10_000;

    /// <summary>Parts uploaded at once. Memory use is bounded by part size × (parallel parts + 1).</summary>
    public int ParallelParts { get; init; } = 4;

    /// <summary>Attempts of one request before a transient error (5xx, throttling, timeout, reset) is given up.</summary>
    public int MaxAttempts { get; init; } = 5;
}
