using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Sets;

/// <summary>What a volume name and a host path look like, for names from the command line and from manifests alike.</summary>
public static class VolumeNames
{
    /// <summary>Docker's grammar for volume names: a letter or digit, then letters, digits, '_', '.', '-'.</summary>
    public static bool IsVolumeName(string? name) =>
        name is { Length: > 0 and <= 255 } && char.IsAsciiLetterOrDigit(name[0]) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>
    /// An absolute, normalized host path: '/' or '/a/b' with no empty, '.' or '..' segment, no control character, and
    /// no ':' or ',' (which a bind mount's <c>SRC:DST:MODE</c> spelling would split).
    /// </summary>
    public static bool IsHostPath(string? path) =>
        path is "/" || (path is not null && path.StartsWith('/') && !path.Contains(':') && !path.Contains(',') && StoreNames.IsValid(path[1..]));
}
