using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// The helper that unpacks a tar from its standard input into a target's staging directory
/// (<c>.backup-agent-stage-TOKEN</c> in its root), first recording the root's mtime (<c>.backup-agent-was-TOKEN</c>).
/// Before it writes anything it checks that the target's file system has room for what the archive holds and that no
/// other file system is mounted inside the target. Its only mount is the target, writable.
/// </summary>
public static class StageHelper
{
    /// <summary>Exit code when the target's file system has too little room (nothing was written).</summary>
    public const int NoRoom = 66;

    /// <summary>Exit code when other file systems are mounted inside the target (nothing was written).</summary>
    public const int NestedMounts = 67;

    private static readonly string Script = $$"""
        t=$1; k=$2; stage="$t/.backup-agent-stage-$k"; mode=$3; need_bytes=$4; need_entries=$5; step=$6
        set -- $(stat -f -c '%a %S %d %c' "$t")
        free=$(( $1 * $2 )); inodes=$3; total_inodes=$4
        stays=""; [ "$mode" = replace ] && stays=" (the current contents stay until the restored ones replace them)"
        if [ "$total_inodes" -gt 0 ] && [ "$need_entries" -gt "$inodes" ]; then
          echo "the archive holds $need_entries entries; the target's file system has $inodes free inodes$stays" >&2; exit {{NoRoom}}
        fi
        if [ "$need_bytes" -gt "$free" ]; then
          echo "the archive holds $need_bytes bytes; the target's file system has $free bytes free$stays" >&2; exit {{NoRoom}}
        fi
        # The swap renames within one file system: a mount inside the target could not move, and the trash would descend it.
        mounts=$(cut -d' ' -f5 /proc/self/mountinfo | grep "^$t/" | head -3 | tr '\n' ' ')
        if [ -n "$mounts" ]; then
          echo "other file systems are mounted inside the target ($mounts); a restore replaces what is on one file system only" >&2; exit {{NestedMounts}}
        fi
        # A chain (docs/incremental.md): its full is unpacked first, then each level onto it, in GNU tar's incremental
        # extraction, which also removes what a level's directories no longer hold.
        incremental=""; [ -z "$step" ] || incremental="--listed-incremental=/dev/null"
        if [ "$step" = next ]; then
          [ -d "$stage" ] || { echo "the staging directory of the chain's earlier archives is gone" >&2; exit {{SwapHelper.SwapFailed}}; }
        else
          touch -r "$t" "$t/.backup-agent-was-$k" && mkdir "$stage" || exit {{SwapHelper.SwapFailed}}
        fi
        /bin/tar --extract --file=- --numeric-owner --same-owner --same-permissions $incremental --directory="$stage" || exit $?
        sync -f "$t" 2>/dev/null || sync
        """;

    /// <summary>
    /// The helper for one staging: <paramref name="replacing"/> says the current contents stay beside the staged ones
    /// (for the message), <paramref name="needBytes"/> and <paramref name="needEntries"/> the room the archive needs.
    /// </summary>
    public static HelperSpec Spec(string purpose, string target, string token, bool replacing, long needBytes, long needEntries, StageStep step = StageStep.Full) =>
        HelperJob.Writing(purpose, target, Script, [token, replacing ? "replace" : "keep", $"{needBytes}", $"{needEntries}", .. step switch
        {
            StageStep.First => new[] { "first" },
            StageStep.Next => ["next"],
            _ => [],
        }]) with { OpenStdin = true };

    /// <summary>What an exit means; a failure (tar's own exit code, or <see cref="SwapHelper.SwapFailed"/> when the staging directory cannot be made) throws, named <paramref name="what"/>.</summary>
    public static Staging Interpret(HelperExit exit, string what) => exit.ExitCode switch
    {
        0 => new Staging(StageOutcome.Staged, ""),
        NoRoom => new Staging(StageOutcome.NoRoom, exit.Stderr.Trim()),
        NestedMounts => new Staging(StageOutcome.NestedMounts, exit.Stderr.Trim()),
        _ => throw exit.Failure(what),
    };

    /// <summary>Runs the helper, feeding it <paramref name="tar"/>; it stops taking input if the helper exits early.</summary>
    public static async Task<Staging> RunAsync(IContainerEngine engine, HelperSpec spec, Stream tar, string what, CancellationToken cancellationToken)
    {
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        await helper.FeedInputAsync(tar, cancellationToken);
        return Interpret(await helper.WaitAsync(cancellationToken), what);
    }
}

/// <summary>Which archive of a restore's staging this is.</summary>
public enum StageStep
{
    /// <summary>A full archive on its own.</summary>
    Full,

    /// <summary>The full archive of a chain: unpacked in GNU tar's incremental mode.</summary>
    First,

    /// <summary>A level of a chain, unpacked onto what the earlier ones staged, in GNU tar's incremental mode.</summary>
    Next,
}

public enum StageOutcome
{
    /// <summary>The whole tar the helper took is in the staging directory.</summary>
    Staged,

    /// <summary>The target's file system has too little room; nothing was written.</summary>
    NoRoom,

    /// <summary>Other file systems are mounted inside the target; nothing was written.</summary>
    NestedMounts,
}

/// <summary>How a staging ended, and why a refused one was (the helper's message).</summary>
public sealed record Staging(StageOutcome Outcome, string Reason);
