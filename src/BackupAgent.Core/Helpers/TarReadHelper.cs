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

    private static readonly string Script = $$"""
        src=$1; shift
        [ -d "$src" ] || { echo "not a directory: $src" >&2; exit {{NotADirectory}}; }
        exec /bin/tar --create --file=- --numeric-owner --directory="$src" --anchored --no-wildcards "$@" .
        """;

    private TarReadHelper(HelperSpec spec) => Spec = spec;

    /// <summary>What the helper mounts and runs.</summary>
    public HelperSpec Spec { get; }

    /// <summary>Reads a volume (by name) or a host directory (by absolute path), leaving out what <paramref name="excludes"/> match (see <see cref="ExcludePatterns"/>).</summary>
    public static TarReadHelper OfVolume(string volume, string purpose, IReadOnlyList<string>? excludes = null) =>
        new(HelperJob.Reading(purpose, volume, Script, ExcludePatterns.TarArguments(excludes ?? [])));

    /// <summary>
    /// Reads the mount of <paramref name="container"/> at <paramref name="mountPath"/>, through all of the container's
    /// mounts; <paramref name="nested"/> are the paths (relative to it) of other mounts inside it, left out (literally),
    /// and so is what <paramref name="excludes"/> match.
    /// </summary>
    public static TarReadHelper OfContainerMount(string container, string mountPath, IEnumerable<string> nested, string purpose, IReadOnlyList<string>? excludes = null) =>
        new(HelperJob.ReadingContainer(purpose, container, Script, [mountPath, .. nested.Select(p => $"--exclude=./{p}"), .. ExcludePatterns.TarArguments(excludes ?? [])]));

    /// <summary>Starts the helper; a failure is named <paramref name="what"/> (e.g. "reading volume 'db'").</summary>
    public async Task<Running> StartAsync(IContainerEngine engine, string what, CancellationToken cancellationToken) =>
        new(await engine.StartHelperAsync(Spec, cancellationToken), what);

    /// <summary>What an exit means; any code but those of a complete read or a source that is not a directory throws.</summary>
    public static TarRead Interpret(HelperExit exit, string what) => exit.ExitCode switch
    {
        0 => new TarRead(TarReadOutcome.Complete, exit, what),
        FilesChanged => new TarRead(TarReadOutcome.FilesChanged, exit, what),
        NotADirectory => new TarRead(TarReadOutcome.NotADirectory, exit, what),
        _ => throw exit.Failure(what),
    };

    /// <summary>A running read: its tar, then how it ended. Dispose it to remove the helper, on every path.</summary>
    public sealed class Running(IHelper helper, string what) : IAsyncDisposable
    {
        /// <summary>The tar, as the helper writes it.</summary>
        public Stream Tar => helper.StandardOutput;

        /// <summary>Waits for the helper to exit and says what its exit means (see <see cref="Interpret"/>).</summary>
        public async Task<TarRead> WaitAsync(CancellationToken cancellationToken) => Interpret(await helper.WaitAsync(cancellationToken), what);

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
}

/// <summary>How a read ended, and the end of the helper's stderr.</summary>
public sealed record TarRead(TarReadOutcome Outcome, HelperExit Exit, string What)
{
    /// <summary>What the helper said, trimmed.</summary>
    public string Message => Exit.Stderr.Trim();

    /// <summary>The read as a helper failure, for a caller that cannot use what it got (e.g. a source that is not a directory).</summary>
    public HelperFailedException Failure() => Exit.Failure(What);
}
