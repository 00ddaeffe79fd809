using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Storage;

/// <summary>A parsed destination: DEST as the user wrote it, and what kind of store it names.</summary>
public sealed record StoreLocation(StoreKind Kind, string Path, string Original)
{
    /// <summary>Parses DEST: an absolute host directory path or a <c>file:///</c> URI.</summary>
    public static StoreLocation Parse(string? dest, string optionName)
    {
        if (string.IsNullOrWhiteSpace(dest))
        {
            throw new BadInputException($"{optionName} needs a destination: an absolute directory path or file:///PATH");
        }

        if (dest.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(dest, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Host) || !uri.AbsolutePath.StartsWith('/'))
            {
                throw new BadInputException($"{optionName} '{dest}' is not a valid file URI: write file:///ABSOLUTE/PATH");
            }

            return new StoreLocation(StoreKind.Directory, Normalize(Uri.UnescapeDataString(uri.AbsolutePath)), dest);
        }

        var schemeEnd = dest.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            throw new BadInputException($"{optionName} '{dest}' uses the unknown scheme '{dest[..schemeEnd]}': use an absolute directory path or file:///PATH");
        }

        if (!dest.StartsWith('/'))
        {
            throw new BadInputException($"{optionName} '{dest}' is a relative path: give an absolute directory path (e.g. {System.IO.Path.GetFullPath(dest)})");
        }

        return new StoreLocation(StoreKind.Directory, Normalize(dest), dest);
    }

    private static string Normalize(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}

public enum StoreKind
{
    Directory,
}
