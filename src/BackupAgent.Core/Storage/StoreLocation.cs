using System.Text.RegularExpressions;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Storage;

/// <summary>
/// A parsed destination: what kind of store DEST names, and where. For a directory,
/// <see cref="Path"/> is the absolute path; for S3 it is the key prefix ("" or "a/b", no slashes at the ends)
/// inside <see cref="Bucket"/>.
/// </summary>
public sealed partial record StoreLocation(StoreKind Kind, string Path)
{
    private const string Expected = "an absolute directory path, file:///PATH or s3://BUCKET/PREFIX";

    public string? Bucket { get; init; }

    /// <summary>Parses DEST: an absolute host directory path, a <c>file:///</c> URI or an <c>s3://BUCKET/PREFIX</c> URI.</summary>
    public static StoreLocation Parse(string? dest, string optionName)
    {
        if (string.IsNullOrWhiteSpace(dest))
        {
            throw new BadInputException($"{optionName} needs a destination: {Expected}");
        }

        if (dest.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseS3(dest, optionName);
        }

        if (dest.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(dest, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Host) || !uri.AbsolutePath.StartsWith('/'))
            {
                throw new BadInputException($"{optionName} '{dest}' is not a valid file URI: write file:///ABSOLUTE/PATH");
            }

            return new StoreLocation(StoreKind.Directory, Normalize(Uri.UnescapeDataString(uri.AbsolutePath)));
        }

        var schemeEnd = dest.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            throw new BadInputException($"{optionName} '{dest}' uses the unknown scheme '{dest[..schemeEnd]}': use {Expected}");
        }

        if (!dest.StartsWith('/'))
        {
            throw new BadInputException($"{optionName} '{dest}' is a relative path: give an absolute directory path (e.g. {System.IO.Path.GetFullPath(dest)})");
        }

        return new StoreLocation(StoreKind.Directory, Normalize(dest));
    }

    private static StoreLocation ParseS3(string dest, string optionName)
    {
        var rest = dest["s3://".Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!BucketPattern().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            throw new BadInputException(
                $"{optionName} '{dest}' does not name a valid S3 bucket ('{bucket}'): 3 to 63 lower-case letters, digits, dots and hyphens");
        }

        if (prefix.Split('/').Any(p => p is "." or ".." || (p.Length == 0 && prefix.Length > 0)))
        {
            throw new BadInputException($"{optionName} '{dest}' has an invalid prefix '{prefix}': no empty, '.' or '..' segments");
        }

        return new StoreLocation(StoreKind.S3, prefix) { Bucket = bucket };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();

    private static string Normalize(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}

public enum StoreKind
{
    Directory,
    S3,
}
