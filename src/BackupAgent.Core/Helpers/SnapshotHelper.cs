using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// The helpers that move GNU tar's snapshot file (docs/incremental.md) between the agent and the scratch volume an
/// incremental read updates it in: <see cref="PutAsync"/> writes the previous level's file there (fed on its standard
/// input, after the agent has checked it), <see cref="ReadAsync"/> reads the updated one back (its standard output).
/// Their only mount is the scratch volume; nothing of the store decides a path: the file is always <c>snar</c> in it.
/// </summary>
public static class SnapshotHelper
{
    private const string PutScript = """
        cat > "$1/snar"
        """;

    private const string GetScript = """
        [ -f "$1/snar" ] || { echo "tar wrote no snapshot file" >&2; exit 1; }
        exec cat "$1/snar"
        """;

    /// <summary>Writes <paramref name="snapshot"/> into <paramref name="scratch"/> as the file the incremental read continues from.</summary>
    public static async Task PutAsync(IContainerEngine engine, string scratch, byte[] snapshot, string volume, CancellationToken cancellationToken)
    {
        var spec = HelperJob.Writing($"snapshot file of {volume}", scratch, PutScript) with { OpenStdin = true };
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        await helper.FeedInputAsync(new MemoryStream(snapshot, writable: false), cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode != 0)
        {
            throw exit.Failure($"writing the snapshot file of '{volume}' into a scratch volume");
        }
    }

    /// <summary>Streams the snapshot file the read left in <paramref name="scratch"/> to <paramref name="consume"/>.</summary>
    public static async Task ReadAsync(IContainerEngine engine, string scratch, string volume, Func<Stream, CancellationToken, Task> consume, CancellationToken cancellationToken)
    {
        await using var helper = await engine.StartHelperAsync(HelperJob.Reading($"snapshot file of {volume}", scratch, GetScript), cancellationToken);
        await consume(helper.StandardOutput, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode != 0)
        {
            throw exit.Failure($"reading the snapshot file of '{volume}' from its scratch volume");
        }
    }
}
