using BackupAgent.Core.Errors;

namespace BackupAgent.Storage.S3;

/// <summary>Checks <see cref="S3Options"/> and reports every problem at once, naming the setting.</summary>
public static class S3OptionsValidator
{
    private static readonly string[] Encryptions = ["AES256", "aws:kms", "aws:kms:dsse"];

    public static IReadOnlyList<string> Problems(S3Options options)
    {
        var problems = new List<string>();
        if (options.ServiceUrl is { } url &&
            (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0))
        {
            problems.Add("the S3 endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) must be an http:// or https:// URL without credentials in it");
        }

        if ((options.AccessKeyId is null) != (options.SecretAccessKey is null))
        {
            problems.Add("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        }

        if (options.Region is { } region && !region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            problems.Add($"AWS_REGION '{region}' is not a region name like eu-west-1");
        }

        if (options.PartSize < S3Options.MinimumPartSize || options.PartSize > PartSizing.MaximumPartSize)
        {
            problems.Add($"{S3Environment.PartSizeMiB} must be between 5 and {PartSizing.MaximumPartSize / S3Options.MiB} (MiB)");
        }

        if (options.MaxParts is < 100 or > 10_000)
        {
            problems.Add($"{S3Environment.MaxParts} must be between 100 and 10000");
        }

        if (options.ParallelParts is < 1 or > 64)
        {
            problems.Add($"{S3Environment.ParallelParts} must be between 1 and 64");
        }

        if (options.MaxAttempts is < 1 or > 20)
        {
            problems.Add($"{S3Environment.MaxAttempts} must be between 1 and 20");
        }

        if (options.ServerSideEncryption is { } sse && !Encryptions.Contains(sse))
        {
            problems.Add($"{S3Environment.Sse} '{sse}' is not one of {string.Join(", ", Encryptions)}");
        }

        if (options.KmsKeyId is not null && options.ServerSideEncryption is not ("aws:kms" or "aws:kms:dsse"))
        {
            problems.Add($"{S3Environment.SseKmsKeyId} needs {S3Environment.Sse}=aws:kms");
        }

        if (options.StorageClass is { } storageClass && !storageClass.All(c => char.IsAsciiLetterUpper(c) || c == '_'))
        {
            problems.Add($"{S3Environment.StorageClass} '{storageClass}' is not a storage class like STANDARD_IA");
        }

        return problems;
    }

    /// <summary>Throws one <see cref="BadInputException"/> listing every problem (with those found while binding).</summary>
    public static void EnsureValid(S3Options options, IEnumerable<string> bindingProblems)
    {
        var all = bindingProblems.Concat(Problems(options)).ToList();
        if (all.Count > 0)
        {
            throw new BadInputException($"the S3 settings are invalid: {string.Join("; ", all)}");
        }
    }
}
