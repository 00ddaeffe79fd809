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

    /// <summary>Exit code of <see cref="ExtractArchive"/> when the target's file system has too little room (nothing was written).</summary>
    public const int NoRoom = 66;

    /// <summary>
    /// Unpacks the tar on stdin into the target, keeping numeric owners and modes, then syncs the target's file
    /// system so that success means the data is on disk. With <paramref name="clearFirst"/>, the target is emptied
    /// first so that it ends up exactly equal to the archive. Before anything is written, the target's file system
    /// must have room for <paramref name="needBytes"/> of content and <paramref name="needEntries"/> inodes (counting
    /// what clearing frees), else it exits <see cref="NoRoom"/> saying what is missing.
    /// </summary>
    public static IReadOnlyList<string> ExtractArchive(bool clearFirst, long needBytes = 0, long needEntries = 0)
    {
        var script = $$"""
            t=$1; mode=$2; need_bytes=$3; need_entries=$4
            set -- $(stat -f -c '%a %S %d %c' "$t")
            free=$(( $1 * $2 )); inodes=$3; total_inodes=$4
            if [ "$mode" = clear ]; then
              free=$(( free + $(du -sk "$t" | cut -f1) * 1024 )); inodes=$(( inodes + $(find "$t" -mindepth 1 | wc -l) ))
            fi
            if [ "$total_inodes" -gt 0 ] && [ "$need_entries" -gt "$inodes" ]; then
              echo "the archive holds $need_entries entries; the target's file system has $inodes free inodes" >&2; exit {{NoRoom}}
            fi
            if [ "$need_bytes" -gt "$free" ]; then
              echo "the archive holds $need_bytes bytes; the target's file system has $free bytes free" >&2; exit {{NoRoom}}
            fi
            if [ "$mode" = clear ]; then find "$t" -mindepth 1 -maxdepth 1 -exec rm -rf {} + || exit 65; fi
            /bin/tar --extract --file=- --numeric-owner --same-owner --same-permissions --directory="$t" || exit $?
            sync -f "$t" 2>/dev/null || sync
            """;
        return ["sh", "-c", script, "sh", TargetPath, clearFirst ? "clear" : "keep", $"{needBytes}", $"{needEntries}"];
    }
}
