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

    /// <summary>
    /// What both stagings do first: <c>room NEED_BYTES NEED_ENTRIES</c> exits <see cref="NoRoom"/> when the target's file
    /// system has too little room for an archive, and a target that holds other mounts exits <see cref="NestedMounts"/>.
    /// </summary>
    private static readonly string Checks = $$"""
        t=$1; k=$2; stage="$t/.backup-agent-stage-$k"; mode=$3
        stays=""; [ "$mode" = replace ] && stays=" (the current contents stay until the restored ones replace them)"
        room() {
          set -- "$1" "$2" $(stat -f -c '%a %S %d %c' "$t")
          free=$(( $3 * $4 )); inodes=$5; total_inodes=$6
          if [ "$total_inodes" -gt 0 ] && [ "$2" -gt "$inodes" ]; then
            echo "the archive holds $2 entries; the target's file system has $inodes free inodes$stays" >&2; exit {{NoRoom}}
          fi
          if [ "$1" -gt "$free" ]; then
            echo "the archive holds $1 bytes; the target's file system has $free bytes free$stays" >&2; exit {{NoRoom}}
          fi
        }
        # The swap renames within one file system: a mount inside the target could not move, and the trash would descend it.
        mounts=$(cut -d' ' -f5 /proc/self/mountinfo | grep "^$t/" | head -3 | tr '\n' ' ')
        if [ -n "$mounts" ]; then
          echo "other file systems are mounted inside the target ($mounts); a restore replaces what is on one file system only" >&2; exit {{NestedMounts}}
        fi
        begin() { touch -r "$t" "$t/.backup-agent-was-$k" && mkdir "$stage" || exit {{SwapHelper.SwapFailed}}; }
        untar() { /bin/tar --extract --numeric-owner --same-owner --same-permissions "$@" --directory="$stage"; }
        """;

    private static readonly string Script = Checks + "\n" + """
        room "$4" "$5"
        begin
        untar --file=- || exit $?
        sync -f "$t" 2>/dev/null || sync
        """;

    /// <summary>
    /// A chain (docs/incremental.md) in one helper. Its standard input is each level of the chain, in order, after a line
    /// "level NEED_BYTES NEED_ENTRIES TAR_BYTES", then the chain's full archive after a line "full ...". A level is cut
    /// from the input at its exact size (<c>dd</c>) into <c>.backup-agent-spool-TOKEN</c> beside the staging directory (the
    /// levels are small); the full, last, goes from the input straight into GNU tar, and then each level from the spool,
    /// all in GNU tar's incremental extraction, which also removes what a level's directories no longer hold. The file
    /// system is synced once, at the end. Whatever stops it midway leaves the spool to the rollback.
    /// </summary>
    private static readonly string ChainScript = Checks + "\n" + $$"""
        set -o pipefail
        spool="$t/.backup-agent-spool-$k"; levels=0; started=""; ended=""
        while read -r what need_bytes need_entries size; do
          room "$need_bytes" "$need_entries"
          [ -n "$started" ] || { begin; started=1; }
          if [ "$what" = level ]; then
            levels=$((levels + 1))
            { [ -d "$spool" ] || mkdir "$spool"; } || exit {{SwapHelper.SwapFailed}}
            dd bs=1M count="$size" iflag=count_bytes,fullblock status=none > "$spool/$levels" || exit {{SwapHelper.SwapFailed}}
            [ "$(stat -c %s "$spool/$levels")" = "$size" ] || { echo "the input ended inside a level of the chain" >&2; exit 1; }
          elif [ "$what" = full ]; then
            untar --file=- --listed-incremental=/dev/null || exit $?
            i=1
            while [ "$i" -le "$levels" ]; do
              untar --file="$spool/$i" --listed-incremental=/dev/null || exit $?
              rm -f "$spool/$i"; i=$((i + 1))
            done
            rm -rf "$spool" || exit {{SwapHelper.SwapFailed}}
            ended=1; break
          else
            break
          fi
        done
        if [ -z "$ended" ]; then
          echo "the input ended before the end of the chain" >&2; exit 1
        fi
        sync -f "$t" 2>/dev/null || sync
        """;

    /// <summary>
    /// The helper for one staging: <paramref name="replacing"/> says the current contents stay beside the staged ones
    /// (for the message), <paramref name="needBytes"/> and <paramref name="needEntries"/> the room the archive needs.
    /// </summary>
    public static HelperSpec Spec(string purpose, string target, string token, bool replacing, long needBytes, long needEntries) =>
        HelperJob.Writing(purpose, target, Script, [token, replacing ? "replace" : "keep", $"{needBytes}", $"{needEntries}"]) with { OpenStdin = true };

    /// <summary>The helper that stages a whole chain, fed by <see cref="ChainHeader"/> and each archive: the levels in order, then the full.</summary>
    public static HelperSpec ChainSpec(string purpose, string target, string token, bool replacing) =>
        HelperJob.Writing(purpose, target, ChainScript, [token, replacing ? "replace" : "keep"]) with { OpenStdin = true };

    /// <summary>
    /// The line before an archive of a chain: a level (spooled, so it needs room for its tar too) or the full (the last
    /// archive of the input), the room it needs (checked before it is taken) and its exact tar size.
    /// </summary>
    public static byte[] ChainHeader(bool full, long needBytes, long needEntries, long tarBytes) =>
        System.Text.Encoding.ASCII.GetBytes($"{(full ? "full" : "level")} {needBytes} {needEntries} {tarBytes}\n");

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
