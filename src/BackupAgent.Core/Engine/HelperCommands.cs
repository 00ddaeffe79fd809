namespace BackupAgent.Core.Engine;

/// <summary>
/// The commands helpers run (busybox sh and GNU tar in the helper image). Paths are passed as arguments,
/// never spliced into the script, so names with spaces, quotes or newlines are safe. GNU tar is called as
/// /bin/tar: busybox's shell would run its own tar applet for a bare "tar".
/// </summary>
public static class HelperCommands
{
    /// <summary>Exit code of <see cref="CreateArchive"/> when the source is not a directory.</summary>
    public const int NotADirectory = 64;

    /// <summary>Where a restore helper mounts its target.</summary>
    public const string TargetPath = "/target";

    /// <summary>Where a backup helper mounts a volume given by name.</summary>
    public const string SourcePath = "/source";

    /// <summary>Writes a tar of <paramref name="directory"/>'s contents (relative to it, the root entry "./" included) to stdout.</summary>
    public static IReadOnlyList<string> CreateArchive(string directory, IEnumerable<string> excludeRelative)
    {
        const string script = """
            src=$1; shift
            [ -d "$src" ] || { echo "not a directory: $src" >&2; exit 64; }
            exec /bin/tar --create --file=- --numeric-owner --directory="$src" --anchored --no-wildcards "$@" .
            """;
        return ["sh", "-c", script, "sh", directory, .. excludeRelative.Select(p => $"--exclude=./{p}")];
    }

    /// <summary>Exits 0 when the target is empty, 1 when it holds anything.</summary>
    public static IReadOnlyList<string> CheckEmpty() =>
        ["sh", "-c", """[ -z "$(ls -A "$1")" ]""", "sh", TargetPath];
}
