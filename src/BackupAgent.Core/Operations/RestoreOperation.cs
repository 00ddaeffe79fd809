using BackupAgent.Core.Consistency;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record RestoreRequest(string? BackupId, IReadOnlyList<VolumeMapping> Volumes, bool Force, ArchiveKey? Key = null)
{
    /// <summary>Stop the running containers that use the targets while they are restored (default).</summary>
    public bool Stop { get; init; } = true;

    /// <summary>Create missing volumes with the driver options of the manifest (--trust-volume-options); else with none (VolumeOptionsPolicy).</summary>
    public bool TrustVolumeOptions { get; init; }

    /// <summary>Restore bind mounts' archives into their original host paths without --volume naming them (--to-original-paths).</summary>
    public bool ToOriginalPaths { get; init; }

    /// <summary>Take an encrypted set whose manifest carries no MAC (made by an agent older than the MAC), with a warning.</summary>
    public bool AcceptWithoutMac { get; init; }
}

public sealed record RestoreResult(BackupSet Set, IReadOnlyList<RestoredVolume> Volumes, IReadOnlyList<Downtime> Downtimes);

public sealed record RestoredVolume(string Volume, string Target, bool Created, long Files, long Bytes);

/// <summary>
/// Restores a set, under the locks of its targets: names and targets are checked before anything is touched; then stage, verify, swap. Each archive
/// is read once, streamed through decryption and decompression into a helper that unpacks it into a staging directory
/// on its target's file system, and checked (size, SHA-256, entries) at the end of that read. Only when every archive
/// is staged and intact are the targets' contents replaced, by renames; on any failure before that every target is as
/// it was and the volumes the restore created are removed. The staged targets are journalled with the run, so a kill
/// is rolled back (before the swap) or completed (inside it) by the next run or <c>recover</c>.
/// </summary>
public sealed class RestoreOperation(IContainerEngine engine, IBackupStore store, ContainerStopper stopper, ILogger log)
{
    /// <summary>Where the run's progress goes; its total is the tar bytes the manifests declare.</summary>
    public IProgressSink? Progress { get; init; }

    public async Task<RestoreResult> RunAsync(RestoreRequest request, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        var set = await catalog.ResolveAsync(request.BackupId, request.Volumes.Select(v => v.Source).ToList(), cancellationToken);
        await catalog.AuthenticateAsync(set, request.Key, request.AcceptWithoutMac, log, cancellationToken);
        var plan = RestorePlan.Create(set, request.Volumes, request.ToOriginalPaths);
        var chains = await ChainsAsync(catalog, set, plan.Steps.Select(s => s.Archive).ToList(), request.Key, request.AcceptWithoutMac, log, cancellationToken);
        ArchiveStreams.RequireKeys(chains.SelectMany(c => c).Select(l => l.Archive), request.Key);
        await engine.PrepareAsync(cancellationToken);
        await stopper.RecoverAsync(cancellationToken);

        // Another run reading or writing a target (a scheduled backup) finishes first; the checks below see what it left.
        await using var locked = await stopper.Locks.AcquireAsync(engine, plan.Steps.Select(s => s.Target), log, cancellationToken);
        var states = await TargetCheck.InspectAsync(engine, plan.Steps.Select(s => s.Target).ToList(), request.Force, cancellationToken);
        var users = request.Stop
            ? (await engine.ListContainersAsync(null, cancellationToken)).Where(c => plan.Steps.Any(step => c.Uses(step.Target))).ToList()
            : [];
        var runId = $"restore-{Guid.NewGuid():N}";
        var steps = plan.Steps.Zip(states).ToList();

        // No hooks: those are a backup's. The users of the targets are stopped, and started again once their targets are swapped.
        await using var progress = ProgressMeter.Start(Progress, "restore", chains.SelectMany(c => c).Sum(l => l.Archive.TarBytes));
        await using var window = await ConsistencyWindow.OpenAsync(engine, stopper, runId, new ConsistencyPlan(StopOrder.Sort(users), [], []), "nothing was restored", log, cancellationToken);
        await window.WhileStoppedAsync(async ct =>
        {
            await RestoreAsync(engine, store, set, steps, request.Key, request.TrustVolumeOptions,
                (restores, c) => stopper.JournalRestoresAsync(runId, restores, c), log, ct, chains, progress);
            return steps.Count;
        }, cancellationToken);
        if (await window.CloseAsync() is { Count: > 0 } problems)
        {
            throw new BackupAgentException($"backup set '{set.Id}' is restored, but {string.Join("; ", problems)}");
        }

        var downtimes = window.Downtimes;
        var restored = steps.Select(s => new RestoredVolume(s.First.Archive.Volume, s.First.Target, s.Second.Create, s.First.Archive.Files, s.First.Archive.ContentBytes)).ToList();
        return new RestoreResult(set, restored, downtimes);
    }

    /// <summary>
    /// The chain of each archive (full first; an archive alone when it is full), resolved before anything is touched: a
    /// chain whose base is missing or unreadable refuses the restore, naming why. Given a key, every set of a chain is authenticated.
    /// </summary>
    internal static async Task<IReadOnlyList<IReadOnlyList<ChainLink>>> ChainsAsync(
        BackupCatalog catalog, BackupSet set, IReadOnlyList<ArchiveInfo> archives, ArchiveKey? key, bool acceptWithoutMac, ILogger log, CancellationToken cancellationToken)
    {
        if (archives.All(a => a.Level == 0))
        {
            return [.. archives.Select(a => (IReadOnlyList<ChainLink>)[new ChainLink(set, a)])];
        }

        var listing = await catalog.ScanAsync(null, cancellationToken);
        var chains = new List<IReadOnlyList<ChainLink>>();
        foreach (var archive in archives)
        {
            var (links, problem) = Chains.Resolve(set, archive, listing);
            chains.Add(links ?? throw new BackupAgentException($"backup set '{set.Id}' cannot be restored, no volume was touched: {problem}"));
        }

        foreach (var baseSet in chains.SelectMany(c => c).Select(l => l.Set).Where(s => s.Id != set.Id).DistinctBy(s => s.Id))
        {
            await catalog.AuthenticateAsync(baseSet, key, acceptWithoutMac, log, cancellationToken);
        }

        log.Information("Restoring set {SetId} replays {Count} archive(s) of its chains, each full first", set.Id, chains.Sum(c => c.Count));
        return chains;
    }

    /// <summary>
    /// Restores archives of <paramref name="set"/> into their targets on <paramref name="engine"/>, all or nothing. A
    /// volume it creates gets the archive's driver options only when they are <paramref name="trusted"/>.
    /// </summary>
    internal static async Task RestoreAsync(
        IContainerEngine engine, IBackupStore store, BackupSet set, IReadOnlyList<(RestoreStep Step, TargetCheck.State State)> steps, ArchiveKey? key, bool trusted,
        Func<IReadOnlyList<StagedRestore>, CancellationToken, Task>? journal, ILogger log, CancellationToken cancellationToken, IReadOnlyList<IReadOnlyList<ChainLink>>? chains = null,
        ProgressMeter? progress = null)
    {
        log.Information("Restoring {Count} archive(s) of set {SetId}, each checked as it is read, before any target is changed", steps.Count, set.Id);
        var targets = steps.Select(s => new StagedRestore(s.Step.Target, StagedTarget.NewToken(), s.State.Create, Committing: false)).ToList();
        await StagedTarget.StageThenSwapAsync(engine, targets, (i, ct) =>
        {
            var archive = steps[i].Step.Archive;
            return engine.CreateVolumeAsync(
                new VolumeInfo(steps[i].Step.Target, VolumeOptionsPolicy.Driver(archive, trusted), VolumeOptionsPolicy.Choose(archive, steps[i].Step.Target, trusted, log), VolumeOptionsPolicy.Labels(archive)), ct);
        }, async (target, i, ct) =>
        {
            var (step, state) = steps[i];
            var problems = await target.StageChainAsync(store, chains?[i] ?? [new ChainLink(set, step.Archive)], key, replacing: state.NonEmpty, ct, progress);
            if (problems.Count > 0)
            {
                throw new BackupAgentException($"backup set '{set.Id}' cannot be restored, no volume was touched: {string.Join("; ", problems)}");
            }
        }, journal, log, cancellationToken);
        progress?.Finish();

        foreach (var (step, _) in steps)
        {
            log.Information("Restored {Volume} into {Target}", step.Archive.Volume, step.Target);
        }
    }
}
