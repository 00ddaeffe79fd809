using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// What every helper job shares, decided here only: how it mounts what it works on and how it runs. A helper that
/// reads mounts its source read-only (a volume or host path at <see cref="SourcePath"/>, or every mount of a
/// container through <see cref="HelperSpec.VolumesFromContainer"/>); a helper that writes has the target as its only
/// mount, writable, at <see cref="TargetPath"/>, and may set owners and modes. (The engine mounts every volume as it
/// is, never filled from the image: see <see cref="HelperMount"/>.)
/// <para>
/// The jobs run busybox sh and GNU tar in the helper image. Paths are passed as arguments, never spliced into a
/// script, so names with spaces, quotes or newlines are safe; a script's exit codes are the constants its job reads
/// them with. GNU tar is called as /bin/tar: busybox's shell would run its own tar applet for a bare "tar".
/// </para>
/// </summary>
internal static class HelperJob
{
    /// <summary>Where a reading helper mounts a volume or host path given by name.</summary>
    public const string SourcePath = "/source";

    /// <summary>Where a writing helper mounts its target.</summary>
    public const string TargetPath = "/target";

    /// <summary>Where an incremental read mounts the scratch volume holding GNU tar's snapshot file, writable (never a source).</summary>
    public const string SnapshotPath = "/.backup-agent-snapshot";

    /// <summary>The snapshot file an incremental read gives GNU tar.</summary>
    public const string SnapshotFile = SnapshotPath + "/snar";

    /// <summary><paramref name="spec"/> with the scratch volume <paramref name="scratch"/> also mounted, writable, at <see cref="SnapshotPath"/>.</summary>
    public static HelperSpec WithSnapshot(HelperSpec spec, string scratch) =>
        spec with { Mounts = [.. spec.Mounts, new HelperMount(scratch, SnapshotPath, ReadOnly: false)] };

    /// <summary>
    /// <paramref name="spec"/> with the snapshot file handed in as its work file at <see cref="SnapshotFile"/> (the
    /// engine's run directory, see <see cref="HelperWorkFile"/>), holding <paramref name="snapshot"/>: the base's, or
    /// nothing for a level 0 (GNU tar takes an empty snapshot file as a new one).
    /// </summary>
    public static HelperSpec WithSnapshotFile(HelperSpec spec, ReadOnlyMemory<byte> snapshot) =>
        spec with { WorkFile = new HelperWorkFile(SnapshotFile, snapshot) };

    /// <summary>A helper that runs <paramref name="script"/> on <paramref name="source"/>, mounted read-only; $1 is its path.</summary>
    public static HelperSpec Reading(string purpose, string source, string script, params IEnumerable<string> args) =>
        new(purpose, Shell(script, [SourcePath, .. args])) { Mounts = [new HelperMount(source, SourcePath, ReadOnly: true)] };

    /// <summary>A helper that runs <paramref name="script"/> with every mount of <paramref name="container"/>, read-only, at the paths it sees them.</summary>
    public static HelperSpec ReadingContainer(string purpose, string container, string script, params IEnumerable<string> args) =>
        new(purpose, Shell(script, args)) { VolumesFromContainer = container };

    /// <summary>
    /// A helper with the read-only mounts of the reading helper <paramref name="reader"/> that runs <paramref name="script"/>
    /// on what that one reads ($1: the same path).
    /// </summary>
    public static HelperSpec ReadingAs(HelperSpec reader, string purpose, string script) =>
        reader.Writes || reader.Mounts.Any(m => !m.ReadOnly)
            ? throw new ArgumentException($"{reader.Purpose} is not a reading helper", nameof(reader))
            : new(purpose, Shell(script, [reader.Command[4]])) { Mounts = reader.Mounts, VolumesFromContainer = reader.VolumesFromContainer };

    /// <summary>A helper that runs <paramref name="script"/> on <paramref name="target"/>, its only mount, writable; $1 is its path.</summary>
    public static HelperSpec Writing(string purpose, string target, string script, params IEnumerable<string> args) =>
        new(purpose, Shell(script, [TargetPath, .. args]))
        {
            Mounts = [new HelperMount(target, TargetPath, ReadOnly: false)],
            Writes = true,
        };

    /// <summary>Runs a helper that needs no input and writes nothing the agent reads; returns how it exited.</summary>
    public static async Task<HelperExit> RunAsync(IContainerEngine engine, HelperSpec spec, CancellationToken cancellationToken)
    {
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        return await helper.WaitAsync(cancellationToken);
    }

    /// <summary>The failure of a helper whose exit code its job does not expect, for <paramref name="what"/> it was doing.</summary>
    public static HelperFailedException Failure(this HelperExit exit, string what) => new(what, exit.ExitCode, exit.Stderr);

    private static IReadOnlyList<string> Shell(string script, IEnumerable<string> args) => ["sh", "-c", script, "sh", .. args];
}
