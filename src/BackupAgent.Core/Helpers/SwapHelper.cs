using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// The helper that finishes a staged restore of a target: it swaps the staged tree in, or rolls the staging back. The
/// swap is resumable: renaming the staging directory to <c>.backup-agent-commit-TOKEN</c> is the commit point; after
/// it, the old entries move into <c>.backup-agent-old-TOKEN</c> (renamed <c>-trash-</c> once all are there), the new
/// ones move up, the emptied directory becomes <c>-done-</c>, carrying the root's owner and mode, and the trash is
/// removed. Run again with the same token, it finishes whatever a kill interrupted; once the commit point has passed,
/// a rollback finishes the swap too. Its only mount is the target, writable.
/// </summary>
public static class SwapHelper
{
    /// <summary>Exit code of this helper and of <see cref="StageHelper"/> when making, renaming or removing an entry in the target failed.</summary>
    public const int SwapFailed = 65;

    /// <summary>Exit code of <see cref="SwapAction.RollbackIfEmpty"/> when the target holds entries that are not the restore's.</summary>
    public const int NotEmpty = 68;

    private static readonly string Script = $$"""
        t=$1; k=$2; action=$3
        stage="$t/.backup-agent-stage-$k"; commit="$t/.backup-agent-commit-$k"; old="$t/.backup-agent-old-$k"
        trash="$t/.backup-agent-trash-$k"; done="$t/.backup-agent-done-$k"; mark=".backup-agent-root-$k"; was="$t/.backup-agent-was-$k"
        # Once the commit point has passed, the disk (not the journal) says what is true: a rollback finishes the swap.
        if [ "$action" != commit ] && [ ! -e "$commit" ] && [ ! -e "$old" ] && [ ! -e "$trash" ] && [ ! -e "$done" ]; then
          [ ! -e "$was" ] || touch -r "$was" /tmp/was || exit {{SwapFailed}}
          rm -rf "$stage" "$was" "$t/.backup-agent-spool-$k" || exit {{SwapFailed}}
          [ ! -e /tmp/was ] || touch -r /tmp/was "$t" || exit {{SwapFailed}}
          sync -f "$t" 2>/dev/null || sync
          [ "$action" != rollback-if-empty ] || {{EmptyCheckHelper.IsEmpty("$t")}} || exit {{NotEmpty}}
          exit 0
        fi
        if [ -d "$stage" ]; then mv "$stage" "$commit" || exit {{SwapFailed}}; fi
        if [ -d "$commit" ] && [ ! -d "$trash" ]; then
          mkdir -p "$old" && touch -r "$commit" "$old/$mark" || exit {{SwapFailed}}
          find "$t" -mindepth 1 -maxdepth 1 ! -path "$commit" ! -path "$old" -exec sh -c 'exec mv -f "$@" "$0"' "$old" {} + || exit {{SwapFailed}}
          mv "$old" "$trash" || exit {{SwapFailed}}
        fi
        if [ -d "$commit" ]; then
          find "$commit" -mindepth 1 -maxdepth 1 -exec sh -c 'exec mv -f "$@" "$0"' "$t" {} + || exit {{SwapFailed}}
          mv "$commit" "$done" || exit {{SwapFailed}}
        fi
        if [ -d "$done" ]; then
          set -- $(stat -c '%u %g %a' "$done")
          chown "$1:$2" "$t" && chmod "$3" "$t" || exit {{SwapFailed}}
          # The root's mtime rides on the emptied directory while the trash goes (the longest step).
          [ ! -e "$trash/$mark" ] || touch -r "$trash/$mark" "$done" || exit {{SwapFailed}}
          rm -rf "$trash" && touch -r "$done" /tmp/mtime && rmdir "$done" && touch -r /tmp/mtime "$t" || exit {{SwapFailed}}
        fi
        sync -f "$t" 2>/dev/null || sync
        """;

    public static HelperSpec Spec(string target, string token, SwapAction action) =>
        HelperJob.Writing($"{Word(action)} of the restore into {target}", target, Script, token, Word(action));

    /// <summary>What an exit means; any other code throws.</summary>
    public static SwapOutcome Interpret(HelperExit exit, string target, SwapAction action) => exit.ExitCode switch
    {
        0 => SwapOutcome.Done,
        NotEmpty => SwapOutcome.NotEmpty,
        _ => throw exit.Failure($"the {Word(action)} of the restore into '{target}'"),
    };

    /// <summary>Runs the action (the script ends by syncing the target's file system); any exit but those of <see cref="Interpret"/> throws.</summary>
    public static async Task<SwapOutcome> RunAsync(IContainerEngine engine, string target, string token, SwapAction action, CancellationToken cancellationToken) =>
        Interpret(await HelperJob.RunAsync(engine, Spec(target, token, action), cancellationToken), target, action);

    /// <summary>The action as the script (and the helper's purpose) names it.</summary>
    private static string Word(SwapAction action) => action switch
    {
        SwapAction.Commit => "commit",
        SwapAction.Rollback => "rollback",
        _ => "rollback-if-empty",
    };
}

public enum SwapAction
{
    /// <summary>Swap the staged tree in, or finish a swap a kill interrupted.</summary>
    Commit,

    /// <summary>Remove the staging, restoring the root's mtime; past the commit point, finish the swap.</summary>
    Rollback,

    /// <summary>As <see cref="Rollback"/>, then say whether the target holds anything (for a target the restore created).</summary>
    RollbackIfEmpty,
}

public enum SwapOutcome
{
    /// <summary>The action is done.</summary>
    Done,

    /// <summary>Rolled back, and the target holds entries that are not the restore's.</summary>
    NotEmpty,
}
