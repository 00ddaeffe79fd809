using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The one way a tar goes into a target (a volume or host path): stage, verify, swap. The tar is unpacked into a
/// staging directory on the target's own file system (<c>.backup-agent-stage-TOKEN</c> in its root) while the
/// current contents stay; the caller checks what it fed (hash, counts); only then <see cref="CommitAsync"/> swaps
/// the staged tree in by renames, or a rollback removes it, leaving the target exactly as it was.
/// <para>
/// Staging first records the root's mtime (<c>.backup-agent-was-TOKEN</c>), so that a rollback restores it too.
/// The swap is resumable: renaming the staging directory to <c>.backup-agent-commit-TOKEN</c> is the commit point;
/// after it, the old entries move into <c>.backup-agent-old-TOKEN</c> (renamed <c>-trash-</c> once all are there),
/// the new ones move up, the emptied directory becomes <c>-done-</c>, carrying the root's owner and mode, and the
/// trash is removed. Run again with the same token, the commit finishes whatever a kill interrupted, so a caller that
/// journals the token and whether it had committed can complete or roll back after a crash.
/// </para>
/// </summary>
public sealed class StagedTarget(IContainerEngine engine, string target, string token)
{
    /// <summary>Exit code of the stage helper when the target's file system has too little room (nothing was written).</summary>
    public const int NoRoom = 66;

    /// <summary>Exit code of the helpers when making, renaming or removing an entry in the target failed.</summary>
    public const int SwapFailed = 65;

    /// <summary>Exit code of the stage helper when other file systems are mounted inside the target (nothing was written).</summary>
    public const int NestedMounts = 67;

    /// <summary>Exit code of a rollback asked to check emptiness, when the target holds entries that are not the restore's.</summary>
    public const int NotEmpty = 68;

    private static readonly string StageScript = $$"""
        t=$1; k=$2; stage="$t/.backup-agent-stage-$k"; mode=$3; need_bytes=$4; need_entries=$5
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
        touch -r "$t" "$t/.backup-agent-was-$k" && mkdir "$stage" || exit {{SwapFailed}}
        /bin/tar --extract --file=- --numeric-owner --same-owner --same-permissions --directory="$stage" || exit $?
        sync -f "$t" 2>/dev/null || sync
        """;

    private static readonly string FinishScript = $$"""
        t=$1; k=$2; action=$3
        stage="$t/.backup-agent-stage-$k"; commit="$t/.backup-agent-commit-$k"; old="$t/.backup-agent-old-$k"
        trash="$t/.backup-agent-trash-$k"; done="$t/.backup-agent-done-$k"; mark=".backup-agent-root-$k"; was="$t/.backup-agent-was-$k"
        # Once the commit point has passed, the disk (not the journal) says what is true: a rollback finishes the swap.
        if [ "$action" != commit ] && [ ! -e "$commit" ] && [ ! -e "$old" ] && [ ! -e "$trash" ] && [ ! -e "$done" ]; then
          [ ! -e "$was" ] || touch -r "$was" /tmp/was || exit {{SwapFailed}}
          rm -rf "$stage" "$was" || exit {{SwapFailed}}
          [ ! -e /tmp/was ] || touch -r /tmp/was "$t" || exit {{SwapFailed}}
          sync -f "$t" 2>/dev/null || sync
          [ "$action" != rollback-if-empty ] || [ -z "$(ls -A "$t")" ] || exit {{NotEmpty}}
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

    /// <summary>A fresh token: the staging names of one restore of one target.</summary>
    public static string NewToken() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Unpacks <paramref name="tar"/> (the copy of <paramref name="volume"/>) into the staging directory; <paramref name="fed"/>
    /// counts what passes. Given the contents its manifest <paramref name="declared"/>, the target's file system must first have room
    /// for them (at least the tar's own size: tar writes no more than it reads) beside what it holds now. Throws naming
    /// the target when there is no room, when it holds other mounts, when the helper fails, or when it exits before it
    /// took the whole tar.
    /// </summary>
    public async Task StageAsync(string volume, Stream tar, TarStats fed, ArchiveInfo? declared, bool replacing, CancellationToken cancellationToken)
    {
        var needBytes = declared is null ? 0 : Math.Max(declared.ContentBytes, declared.TarBytes);
        var spec = Spec($"restore of {volume} into {target}", StageScript, replacing ? "replace" : "keep", $"{needBytes}", $"{declared?.Files ?? 0}") with { OpenStdin = true };
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        await helper.FeedInputAsync(tar, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode is NoRoom or NestedMounts)
        {
            var refusal = exit.ExitCode == NoRoom ? "has no room for" : "cannot take";
            throw new BackupAgentException($"'{target}' {refusal} '{volume}', nothing was written into it: {exit.Stderr.Trim()}");
        }

        if (exit.ExitCode != 0)
        {
            throw new HelperFailedException($"restoring '{volume}' into '{target}'", exit.ExitCode, exit.Stderr);
        }

        if (!fed.Ended || (declared is not null && fed.Entries != declared.Files))
        {
            throw new BackupAgentException(
                $"restoring '{volume}' into '{target}': the helper exited after taking {fed.Entries}{(declared is null ? "" : $" of {declared.Files}")} entries{(fed.Ended ? "" : " and no end marker")}; the target was not changed");
        }
    }

    /// <summary>Swaps the staged tree in (or finishes a swap a kill interrupted), then syncs the target's file system.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken) => await FinishAsync("commit", cancellationToken);

    /// <summary>
    /// Stages every target (a target marked <see cref="StagedRestore.Created"/> is first made with <paramref name="create"/>),
    /// then swaps them all in: either every target gets its new contents, or (a staging failed) every one is as it was
    /// and the volumes made for it are removed. With a <paramref name="journal"/>, each state is recorded before it is
    /// entered (a volume counts as created once it is), so that recovery can settle a run that dies midway. Once the
    /// first swap has begun nothing cancels it; a swap that fails throws <see cref="SwapIncompleteException"/>.
    /// </summary>
    public static async Task StageThenSwapAsync(
        IContainerEngine engine, IReadOnlyList<StagedRestore> planned, Func<int, CancellationToken, Task> create, Func<StagedTarget, int, CancellationToken, Task> stage,
        Func<IReadOnlyList<StagedRestore>, CancellationToken, Task>? journal, ILogger log, CancellationToken cancellationToken)
    {
        journal ??= (_, _) => Task.CompletedTask;
        var targets = planned.Select(t => t with { Created = false }).ToArray();
        await journal(targets, cancellationToken);
        try
        {
            for (var i = 0; i < targets.Length; i++)
            {
                if (planned[i].Created)
                {
                    await create(i, cancellationToken);
                    targets[i] = targets[i] with { Created = true };
                    await journal(targets, cancellationToken);
                }

                await stage(new StagedTarget(engine, targets[i].Target, targets[i].Token), i, cancellationToken);
            }
        }
        catch (Exception)
        {
            // What cannot be rolled back now (the engine went away) stays journalled for recovery.
            await journal(await RollBackAsync(engine, targets, log), CancellationToken.None);
            throw;
        }

        var committing = targets.Select(t => t with { Committing = true }).ToList();
        await journal(committing, CancellationToken.None);
        foreach (var target in committing)
        {
            try
            {
                await SettleAsync(engine, target, log, CancellationToken.None);
            }
            catch (BackupAgentException e)
            {
                throw new SwapIncompleteException(target.Target, e);
            }
        }

        await journal([], CancellationToken.None);
    }

    /// <summary>
    /// Settles a journalled restore: a swap that had committed is completed; one that had not is rolled back, and a
    /// volume the restore created is removed, unless it holds entries that are not the restore's (then it is left, with
    /// a warning). A target volume that no longer exists needs nothing (mounting it would create it again).
    /// </summary>
    public static async Task SettleAsync(IContainerEngine engine, StagedRestore restore, ILogger log, CancellationToken cancellationToken)
    {
        if (!restore.Target.StartsWith('/') && await engine.FindVolumeAsync(restore.Target, cancellationToken) is null)
        {
            log.Warning("The volume {Target} of an unfinished restore no longer exists; nothing to settle", restore.Target);
            return;
        }

        var staged = new StagedTarget(engine, restore.Target, restore.Token);
        if (restore.Committing)
        {
            await staged.FinishAsync("commit", cancellationToken);
        }
        else if (!restore.Created)
        {
            await staged.FinishAsync("rollback", cancellationToken);
        }
        else if (await staged.FinishAsync("rollback-if-empty", cancellationToken) == NotEmpty)
        {
            log.Warning("Leaving the volume {Target}, which a restore created: it holds data the restore did not write", restore.Target);
        }
        else
        {
            await engine.RemoveVolumeAsync(restore.Target, cancellationToken);
        }
    }

    /// <summary>Rolls back restores that failed before their swap, each on its own; returns those that could not be (logged), for recovery.</summary>
    private static async Task<IReadOnlyList<StagedRestore>> RollBackAsync(IContainerEngine engine, IEnumerable<StagedRestore> restores, ILogger log)
    {
        var left = new List<StagedRestore>();
        foreach (var restore in restores)
        {
            try
            {
                await SettleAsync(engine, restore, log, CancellationToken.None);
            }
            catch (BackupAgentException e)
            {
                log.Warning("Could not undo the restore into {Target}, recovery will: {Error}", restore.Target, e.Message);
                left.Add(restore);
            }
        }

        return left;
    }

    /// <summary>Runs the finish script; returns its exit code when that is <see cref="NotEmpty"/>, else 0, or throws.</summary>
    private async Task<long> FinishAsync(string action, CancellationToken cancellationToken)
    {
        await using var helper = await engine.StartHelperAsync(Spec($"{action} of the restore into {target}", FinishScript, action), cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        return exit.ExitCode is 0 or NotEmpty
            ? exit.ExitCode
            : throw new HelperFailedException($"the {action} of the restore into '{target}'", exit.ExitCode, exit.Stderr);
    }

    /// <summary>A helper of this target: its only mount is the target, writable; it sets owners and modes.</summary>
    private HelperSpec Spec(string purpose, string script, params string[] args) =>
        new(purpose, ["sh", "-c", script, "sh", HelperCommands.TargetPath, token, .. args])
        {
            Mounts = [new HelperMount(target, HelperCommands.TargetPath, ReadOnly: false)],
            Writes = true,
        };
}

/// <summary>A restore whose swap began but did not finish: the journal keeps it, and recovery completes it before anything that uses the target starts.</summary>
public sealed class SwapIncompleteException(string target, BackupAgentException inner)
    : BackupAgentException($"{inner.Message}; the swap into '{target}' is journalled and is completed by the next run against this engine or by recover, before the containers that use it start", inner: inner);
