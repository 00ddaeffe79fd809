using System.Globalization;

namespace BackupAgent.Storage.S3;

/// <summary>
/// Binds <see cref="S3Options"/> from environment variables: the AWS tools' own (AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_PROFILE) and the
/// agent's BACKUP_AGENT_S3_* settings. Values that do not parse are reported by the validator, all at once.
/// </summary>
public static class S3Environment
{
    public const string PathStyle = "BACKUP_AGENT_S3_PATH_STYLE";
    public const string RequestChecksum = "BACKUP_AGENT_S3_REQUEST_CHECKSUM_CALCULATION";
    public const string ResponseChecksum = "BACKUP_AGENT_S3_RESPONSE_CHECKSUM_VALIDATION";
    public const string StorageClass = "BACKUP_AGENT_S3_STORAGE_CLASS";
    public const string Sse = "BACKUP_AGENT_S3_SSE";
    public const string SseKmsKeyId = "BACKUP_AGENT_S3_SSE_KMS_KEY_ID";
    public const string PartSizeMiB = "BACKUP_AGENT_S3_PART_SIZE_MIB";
    public const string MaxParts = "BACKUP_AGENT_S3_MAX_PARTS";
    public const string ParallelParts = "BACKUP_AGENT_S3_PARALLEL_PARTS";
    public const string MaxAttempts = "BACKUP_AGENT_S3_MAX_ATTEMPTS";

    /// <summary>Reads the options; returns them with the problems of values that are not even of the right type.</summary>
    public static (S3Options Options, IReadOnlyList<string> Problems) Read(Func<string, string?> environment)
    {
        var problems = new List<string>();
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value.Trim() : null;

        int Int(string name, int fallback, int scale = 1)
        {
            if (Get(name) is not { } text)
            {
                return fallback;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= int.MaxValue / scale)
            {
                return value * scale;
            }

            problems.Add($"{name} '{text}' is not a whole number");
            return fallback;
        }

        bool Bool(string name)
        {
            switch (Get(name)?.ToLowerInvariant())
            {
                case null or "false" or "0" or "no":
                    return false;
                case "true" or "1" or "yes":
                    return true;
                default:
                    problems.Add($"{name} '{Get(name)}' is not true or false");
                    return false;
            }
        }

        ChecksumMode Checksum(string name)
        {
            switch (Get(name)?.ToLowerInvariant().Replace('-', '_'))
            {
                case null or "when_required":
                    return ChecksumMode.WhenRequired;
                case "when_supported":
                    return ChecksumMode.WhenSupported;
                default:
                    problems.Add($"{name} '{Get(name)}' is not WHEN_REQUIRED or WHEN_SUPPORTED");
                    return ChecksumMode.WhenRequired;
            }
        }

        var options = new S3Options
        {
            ServiceUrl = Get("AWS_ENDPOINT_URL_S3") ?? Get("AWS_ENDPOINT_URL"),
            Region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION"),
            Profile = Get("AWS_PROFILE"),
            AccessKeyId = Get("AWS_ACCESS_KEY_ID"),
            SecretAccessKey = Get("AWS_SECRET_ACCESS_KEY"),
            SessionToken = Get("AWS_SESSION_TOKEN"),
            ForcePathStyle = Bool(PathStyle),
            RequestChecksumCalculation = Checksum(RequestChecksum),
            ResponseChecksumValidation = Checksum(ResponseChecksum),
            StorageClass = Get(StorageClass),
            ServerSideEncryption = Get(Sse),
            KmsKeyId = Get(SseKmsKeyId),
            PartSize = Int(PartSizeMiB, 5 * S3Options.MiB, S3Options.MiB),
            MaxParts = Int(MaxParts, 10_000),
            ParallelParts = Int(ParallelParts, 4),
            MaxAttempts = Int(MaxAttempts, 5),
        };
        return (options, problems);
    }
}
