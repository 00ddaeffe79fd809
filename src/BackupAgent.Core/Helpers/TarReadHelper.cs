using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// The helper that reads a volume or host path as a tar on its standard output: the directory's contents, relative
/// to it, the root entry "./" included, owners as numbers. It mounts what it reads read-only.
/// </summary>
public sealed class TarReadHelper
{
    /// <summary>GNU tar's exit code when files changed while they were read: the archive is complete.</summary>
    public const int FilesChanged = 1;

    /// <summary>Exit code when the source is not a directory (nothing was read; stderr says which path).</summary>
    public const int NotADirectory = 64;

    /// <summary>Exit code of an incremental read whose source's root directory is not the one its snapshot file knows (nothing was read).</summary>
    public const int OtherRoot = 69;

    /// <summary>The line an incremental read ends its stderr with: the inode of the source's root directory.</summary>
    public const string RootLine = "backup-agent-root-inode=";

    private static readonly string Script = $$"""
        src=$1; shift
        [ -d "$src" ] || { echo "not a directory: $src" >&2; exit {{NotADirectory}}; }
        exec /bin/tar --create --file=- --numeric-owner --directory="$src" --anchored --no-wildcards "$@" .
        """;

    /// <summary>
    /// The incremental read (docs/incremental.md): GNU tar's listed-incremental mode against the snapshot file at
    /// <see cref="HelperJob.SnapshotFile"/> (the helper's work file, or in a scratch volume), which it updates. With no
    /// file there, or an empty one, it is a level 0. Files are known by inode only (--no-check-device): a volume's device number changes when it is
    /// mounted again (another helper, a restarted engine), and that would make every directory look new. Before it
    /// reads, a level above 0 checks that the source is the one its snapshot file was made on: the same root directory
    /// (its inode, $3), holding something whose status changed no later than the snapshot's dump time ($4, seconds): in
    /// a volume recreated under its name everything is newer (whatever inodes it reuses). Else it exits
    /// <see cref="OtherRoot"/>, having read nothing. (GNU tar also dumps every file whose status changed since, so even
    /// a source that passes these checks wrongly loses nothing.) That check stops at the first old entry: find's list
    /// ends when awk does (through xargs, which stops once its stat dies of the closed pipe).
    /// </summary>
    private static readonly string IncrementalScript = $$"""
        src=$1; snar=$2; root=$3; since=$4; shift 4
        [ -d "$src" ] || { echo "not a directory: $src" >&2; exit {{NotADirectory}}; }
        now=$(stat -c %i "$src")
        if [ -n "$root" ] && [ "$root" != "$now" ]; then
          echo "its root directory is another one than the snapshot file's (inode $now, was $root): the volume was recreated" >&2; exit {{OtherRoot}}
        fi
        if [ -n "$since" ] && ! find "$src" -mindepth 1 -xdev -print0 2>/dev/null | xargs -0 stat -c %Z 2>/dev/null | awk -v t="$since" '$1 <= t { found = 1; exit } END { exit !found }'; then
          echo "nothing in it is older than the snapshot file: the volume was recreated (or every entry of it changed)" >&2; exit {{OtherRoot}}
        fi
        /bin/tar --create --file=- --numeric-owner --listed-incremental="$snar" --no-check-device --directory="$src" --anchored --no-wildcards "$@" .
        rc=$?
        echo "{{RootLine}}$now" >&2
        exit $rc
        """;

    private readonly Func<Func<HelperSpec, HelperSpec>?, string[], HelperSpec> _build;

    private TarReadHelper(Func<Func<HelperSpec, HelperSpec>?, string[], HelperSpec> build, Func<HelperSpec, HelperSpec>? withSnapshot, string[] checks)
    {
        _build = build;
        Spec = build(withSnapshot, checks);
    }

    /// <summary>What the helper mounts and runs.</summary>
    public HelperSpec Spec { get; }

    /// <summary>Reads a volume (by name) or a host directory (by absolute path), leaving out what <paramref name="excludes"/> match (see <see cref="ExcludePatterns"/>).</summary>
    public static TarReadHelper OfVolume(string volume, string purpose, IReadOnlyList<string>? excludes = null)
    {
        var left = ExcludePatterns.TarArguments(excludes ?? []).ToList();
        return new((withSnapshot, checks) => withSnapshot is null
            ? HelperJob.Reading(purpose, volume, Script, left)
            : withSnapshot(HelperJob.Reading(purpose, volume, IncrementalScript, [HelperJob.SnapshotFile, .. checks, .. left])), null, []);
    }

    /// <summary>
    /// Reads the mount of <paramref name="container"/> at <paramref name="mountPath"/>, through all of the container's
    /// mounts; <paramref name="nested"/> are the paths (relative to it) of other mounts inside it, left out (literally),
    /// and so is what <paramref name="excludes"/> match.
    /// </summary>
    public static TarReadHelper OfContainerMount(string container, string mountPath, IEnumerable<string> nested, string purpose, IReadOnlyList<string>? excludes = null)
    {
        List<string> left = [.. nested.Select(p => $"--exclude=./{p}"), .. ExcludePatterns.TarArguments(excludes ?? [])];
        return new((withSnapshot, checks) => withSnapshot is null
            ? HelperJob.ReadingContainer(purpose, container, Script, [mountPath, .. left])
            : withSnapshot(HelperJob.ReadingContainer(purpose, container, IncrementalScript, [mountPath, HelperJob.SnapshotFile, .. checks, .. left])), null, []);
    }

    /// <summary>
    /// The same read in listed-incremental mode, against the snapshot file in <paramref name="scratch"/> (a scratch
    /// volume), which it updates; given the inode of the root directory the snapshot file was made on
    /// (<paramref name="root"/>) and its dump time (<paramref name="since"/>, Unix seconds), a source that is not the
    /// one it was made on exits <see cref="OtherRoot"/> before reading.
    /// </summary>
    public TarReadHelper Incremental(string scratch, string? root, long? since) =>
        new(_build, spec => HelperJob.WithSnapshot(spec, scratch), Checks(root, since));

    /// <summary>
    /// The same read with the snapshot file handed to the helper as its work file (where the engine can share files:
    /// <see cref="IHelperEngine.CanShareFilesAsync"/>), holding <paramref name="snapshot"/> (empty for a level 0); the
    /// updated file is <see cref="Running.TakeSnapshotFile"/>. No scratch volume, no other helper.
    /// </summary>
    public TarReadHelper Incremental(ReadOnlyMemory<byte> snapshot, string? root, long? since) =>
        new(_build, spec => HelperJob.WithSnapshotFile(spec, snapshot), Checks(root, since));

    private static string[] Checks(string? root, long? since) =>
        [root ?? "", since?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""];

    /// <summary>Starts the helper; a failure is named <paramref name="what"/> (e.g. "reading volume 'db'").</summary>
    public async Task<Running> StartAsync(IContainerEngine engine, string what, CancellationToken cancellationToken) =>
        new(await engine.StartHelperAsync(Spec, cancellationToken), what);

    /// <summary>What an exit means; any code but those of a complete read or a source that is not a directory throws.</summary>
    public static TarRead Interpret(HelperExit exit, string what) => exit.ExitCode switch
    {
        0 => new TarRead(TarReadOutcome.Complete, exit, what),
        FilesChanged => new TarRead(TarReadOutcome.FilesChanged, exit, what),
        NotADirectory => new TarRead(TarReadOutcome.NotADirectory, exit, what),
        OtherRoot => new TarRead(TarReadOutcome.OtherRoot, exit, what),
        _ => throw exit.Failure(what),
    };

    /// <summary>A running read: its tar, then how it ended. Dispose it to remove the helper, on every path.</summary>
    public sealed class Running(IHelper helper, string what) : IAsyncDisposable
    {
        /// <summary>The tar, as the helper writes it.</summary>
        public Stream Tar => helper.StandardOutput;

        /// <summary>Waits for the helper to exit and says what its exit means (see <see cref="Interpret"/>).</summary>
        public async Task<TarRead> WaitAsync(CancellationToken cancellationToken) => Interpret(await helper.WaitAsync(cancellationToken), what);

        /// <summary>The snapshot file a read with a work file left (after <see cref="WaitAsync"/>); the caller owns it.</summary>
        public Stream TakeSnapshotFile() => helper.TakeWorkFile();

        public ValueTask DisposeAsync() => helper.DisposeAsync();
    }
}

public enum TarReadOutcome
{
    /// <summary>The whole source was read.</summary>
    Complete,

    /// <summary>The whole source was read, but files changed as they were (a warning; stderr names them).</summary>
    FilesChanged,

    /// <summary>The source is not a directory: there is nothing to read.</summary>
    NotADirectory,

    /// <summary>An incremental read found another root directory than its snapshot file's (the volume was recreated); nothing was read.</summary>
    OtherRoot,
}

/// <summary>How a read ended, and the end of the helper's stderr.</summary>
public sealed record TarRead(TarReadOutcome Outcome, HelperExit Exit, string What)
{
    /// <summary>What the helper said, trimmed (without an incremental read's root line).</summary>
    public string Message => string.Join('\n', Exit.Stderr.Trim().Split('\n').Where(l => !l.StartsWith(TarReadHelper.RootLine, StringComparison.Ordinal))).Trim();

    /// <summary>The inode of the source's root directory, as an incremental read reports it last; null otherwise.</summary>
    public string? RootInode => Exit.Stderr.Trim().Split('\n')[^1] is { } last && last.StartsWith(TarReadHelper.RootLine, StringComparison.Ordinal)
        && last[TarReadHelper.RootLine.Length..] is { Length: > 0 and <= 20 } inode && inode.All(char.IsAsciiDigit) ? inode : null;

    /// <summary>The read as a helper failure, for a caller that cannot use what it got (e.g. a source that is not a directory).</summary>
    public HelperFailedException Failure() => Exit.Failure(What);
}
