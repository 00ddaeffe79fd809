using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The one way a tar goes into a target (a volume or host path): stage, verify, swap. The tar is unpacked into a
/// staging directory on the target's own file system (<c>.backup-agent-stage-TOKEN</c> in its root) while the
/// current contents stay; the caller checks what it fed (hash, counts); only then <see cref="CommitAsync"/> swaps
/// the staged tree in by renames, or a rollback removes it, leaving the target exactly as it was.
/// <para>
/// The helpers do the work on disk: <see cref="StageHelper"/> unpacks into the staging directory, first recording the
/// root's mtime so that a rollback restores it too; <see cref="SwapHelper"/> swaps or rolls back, resumably. Run again
/// with the same token, it finishes whatever a kill interrupted, so a caller that journals the token and whether it had
/// committed can complete or roll back after a crash.
/// </para>
/// </summary>
public sealed class StagedTarget(IContainerEngine engine, string target, string token)
{
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
        var spec = StageHelper.Spec($"restore of {volume} into {target}", target, token, replacing, NeedBytes(declared), declared?.Files ?? 0);
        var staging = await StageHelper.RunAsync(engine, spec, tar, $"restoring '{volume}' into '{target}'", cancellationToken);
        Accept(staging, volume);
        if (!fed.Ended || (declared is not null && fed.Entries != declared.Files))
        {
            throw EndedEarly(volume, fed, declared);
        }
    }

    /// <summary>
    /// Stages a chain (docs/incremental.md), full first, each level onto it, every archive verified at the end of its
    /// single read; returns the problems of the first damaged one (nothing staged is swapped in then). One helper takes
    /// the whole chain (<see cref="StageHelper.ChainSpec"/>): the levels first, which it spools, then the full, which it
    /// unpacks straight from its input, then each level onto it, every archive by its own GNU tar in incremental
    /// extraction once the target has room for it; the file system is synced once, at the end. Their tars' bytes are
    /// told to <paramref name="progress"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> StageChainAsync(
        Storage.IBackupStore store, IReadOnlyList<ChainLink> chain, Crypto.ArchiveKey? key, bool replacing, CancellationToken cancellationToken, ProgressMeter? progress = null)
    {
        if (chain.Count == 1)
        {
            var (set, archive) = (chain[0].Set, chain[0].Archive);
            return await ArchiveRead.ProblemsAsync(store, set, archive, key, (tar, fed, ct) => StageAsync(archive.Volume, tar, fed, archive, replacing, ct), cancellationToken, progress);
        }

        var volume = chain[^1].Archive.Volume;
        var what = $"restoring '{volume}' into '{target}'";
        var helper = await engine.StartHelperAsync(StageHelper.ChainSpec($"restore of {volume} into {target}", target, token, replacing), cancellationToken);
        var feed = new ChainFeed();
        var feeding = Task.CompletedTask;
        try
        {
            feeding = helper.FeedInputAsync(feed, cancellationToken);

            // The levels first (the helper spools them), then the full, which it unpacks straight from its input and the levels onto it.
            foreach (var (set, archive) in chain.Skip(1).Append(chain[0]))
            {
                var full = archive.Level == 0;
                var header = full ? StageHelper.ChainHeader(true, NeedBytes(archive), archive.Files, archive.TarBytes)
                    : StageHelper.ChainHeader(false, archive.TarBytes + NeedBytes(archive), archive.Files + 1, archive.TarBytes);
                var problems = await ArchiveRead.ProblemsAsync(store, set, archive, key, async (tar, fed, ct) =>
                {
                    var taken = feed.SendAsync(header, tar, archive.TarBytes);
                    if (await Task.WhenAny(taken, feeding) != taken)
                    {
                        // The helper stopped taking input before this archive's end: its exit says why.
                        if (feeding.IsFaulted || feeding.IsCanceled)
                        {
                            await feeding;
                        }

                        Accept(StageHelper.Interpret(await helper.WaitAsync(ct), what), volume);
                        await feeding;
                        throw EndedEarly(archive.Volume, fed, archive);
                    }

                    if (!await taken)
                    {
                        throw new BackupAgentException($"archive '{archive.File}' of '{archive.Volume}' in set '{set.Id}' ends before the {archive.TarBytes} tar bytes its manifest declares; the target was not changed");
                    }
                }, cancellationToken, progress);
                if (problems.Count > 0)
                {
                    return [.. problems.Select(p => $"{p} (set '{set.Id}', level {archive.Level} of the chain)")];
                }
            }

            feed.End(null);
            await feeding;
            Accept(StageHelper.Interpret(await helper.WaitAsync(cancellationToken), what), volume);
            return [];
        }
        finally
        {
            // Whatever went wrong, the helper is gone before anything rolls its staging back.
            feed.End(null);
            await helper.DisposeAsync();
            try
            {
                await feeding;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The feed of a chain that failed: its failure is what counts.
            }
        }
    }

    private static long NeedBytes(ArchiveInfo? declared) => declared is null ? 0 : Math.Max(declared.ContentBytes, declared.TarBytes);

    /// <summary>Throws naming the target when the helper refused the archive (no room, other mounts).</summary>
    private void Accept(Staging staging, string volume)
    {
        if (staging.Outcome != StageOutcome.Staged)
        {
            var refusal = staging.Outcome == StageOutcome.NoRoom ? "has no room for" : "cannot take";
            throw new BackupAgentException($"'{target}' {refusal} '{volume}', nothing was written into it: {staging.Reason}");
        }
    }

    private BackupAgentException EndedEarly(string volume, TarStats fed, ArchiveInfo? declared) =>
        new($"restoring '{volume}' into '{target}': the helper exited after taking {fed.Entries}{(declared is null ? "" : $" of {declared.Files}")} entries{(fed.Ended ? "" : " and no end marker")}; the target was not changed");

    /// <summary>Swaps the staged tree in (or finishes a swap a kill interrupted), then syncs the target's file system.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken) => await SwapHelper.RunAsync(engine, target, token, SwapAction.Commit, cancellationToken);

    /// <summary>
    /// Stages every target (a target marked <see cref="StagedRestore.Created"/> is first made with <paramref name="create"/>),
    /// then swaps them all in: either every target gets its new contents, or (a staging failed) every one is as it was
    /// and the volumes made for it are removed. With a <paramref name="journal"/>, each state is recorded before it is
    /// entered (a volume counts as created once it is), so that recovery can settle a run that dies midway. Once the
    /// first swap has begun nothing cancels it; a swap that fails throws <see cref="SwapIncompleteException"/> (journalled)
    /// or names the half-replaced target (without a journal).
    /// </summary>
    public static async Task StageThenSwapAsync(
        IContainerEngine engine, IReadOnlyList<StagedRestore> planned, Func<int, CancellationToken, Task> create, Func<StagedTarget, int, CancellationToken, Task> stage,
        Func<IReadOnlyList<StagedRestore>, CancellationToken, Task>? journal, ILogger log, CancellationToken cancellationToken)
    {
        var journalled = journal is not null;
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

            // The last moment a cancel rolls everything back; from the committing record on, it finishes.
            cancellationToken.ThrowIfCancellationRequested();
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
                // Journalled, recovery completes the swap (and the target's users wait for it); not journalled (a
                // migration's target), nothing will, and nothing must wait: running again replaces the target.
                throw journalled
                    ? new SwapIncompleteException(target.Target, e)
                    : new BackupAgentException(new Phrase($"{e.Message}; '{target.Target}' on {engine.Endpoint} is half replaced: run again with {Setting.Force} to replace it"), inner: e);
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

        Task<SwapOutcome> SwapAsync(SwapAction action) => SwapHelper.RunAsync(engine, restore.Target, restore.Token, action, cancellationToken);
        if (restore.Committing)
        {
            await SwapAsync(SwapAction.Commit);
        }
        else if (!restore.Created)
        {
            await SwapAsync(SwapAction.Rollback);
        }
        else if (await SwapAsync(SwapAction.RollbackIfEmpty) == SwapOutcome.NotEmpty)
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
}

/// <summary>A restore whose swap began but did not finish: the journal keeps it, and recovery completes it before anything that uses the target starts.</summary>
public sealed class SwapIncompleteException(string target, BackupAgentException inner)
    : BackupAgentException($"{inner.Message}; the swap into '{target}' is journalled and is completed by the next run against this engine or by recover, before the containers that use it start", inner: inner);
