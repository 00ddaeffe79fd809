using BackupAgent.Core.Consistency;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record BackupRequest(IReadOnlyList<string> Volumes, string? Container, Compression Compression, ArchiveKey? Key = null)
{
    /// <summary>Stop the containers that use the volumes while they are read (labels can opt in or out per container).</summary>
    public bool Stop { get; init; }

    /// <summary>Overrides each container's own stop timeout.</summary>
    public TimeSpan? StopTimeout { get; init; }

    /// <summary>Hooks from configuration, run with those from container labels.</summary>
    public IReadOnlyList<Hook> PreHooks { get; init; } = [];

    public IReadOnlyList<Hook> PostHooks { get; init; } = [];

    /// <summary>GNU tar patterns, relative to each source's root, that the backup leaves out (see <see cref="Helpers.ExcludePatterns"/>); a container's label adds its own.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Make the archives part of chains (docs/incremental.md): a new full, or incrementals where they fit; null: plain full archives, as always.</summary>
    public ChainRequest? Chain { get; init; }
}

/// <summary>What a backup will do: the sources, the containers it stops and the hooks it runs.</summary>
public sealed record BackupPlan(IReadOnlyList<BackupSource> Sources, ConsistencyPlan Consistency)
{
    /// <summary>With <see cref="BackupRequest.Chain"/>, where each source's archive would go in its chain (one per source, in order).</summary>
    public IReadOnlyList<ChainChoice>? Chains { get; init; }
}

/// <summary>Where an archive would go in its chain: at <paramref name="Level"/> on the set <paramref name="Base"/>, or (level 0) a full one, and why.</summary>
public sealed record ChainChoice(int Level, string? Base, string? FullReason);

/// <summary>
/// One backup run, under the locks of its sources: inside a <see cref="ConsistencyWindow"/> (pre-backup hooks, the
/// containers that must be still stopped only while the sources are read, post-backup hooks on every path) a
/// <see cref="SetWriter"/> archives every source and writes the manifest last; on failure what it wrote is removed.
/// </summary>
public sealed class BackupOperation(IContainerEngine engine, IBackupStore store, ContainerStopper stopper, ILogger log, TimeProvider clock)
{
    /// <summary>Where the run's progress goes (none: no estimate is made either).</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>The plan of a backup, touching nothing (for --dry-run).</summary>
    public async Task<BackupPlan> PlanAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        await engine.PrepareAsync(cancellationToken);
        var plan = await PlanCoreAsync(request, cancellationToken);
        if (request.Chain is null)
        {
            return plan;
        }

        // The same choice as a run's (the base's snapshot file and tree read and checked), said instead of logged.
        var starts = await ChooseChainsAsync(request, plan.Sources, clock.GetUtcNow(), Serilog.Core.Logger.None, cancellationToken);
        return plan with { Chains = [.. starts.Select(c => new ChainChoice(c!.Level, c.Base?.Set.Id, c.FullReason))] };
    }

    public async Task<BackupSet> RunAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        await engine.PrepareAsync(cancellationToken);
        await stopper.RecoverAsync(cancellationToken);
        var plan = await PlanCoreAsync(request, cancellationToken);
        await using var locked = await stopper.Locks.AcquireAsync(engine, plan.Sources.Select(s => s.Volume), log, cancellationToken);
        var createdAt = clock.GetUtcNow();
        var id = BackupSetId.New(createdAt);
        log.Information("Backing up {Count} source(s) into set {SetId} at {Store}", plan.Sources.Count, id, store.Location);

        // Where each archive goes in its chain is settled before anything is stopped (it reads only the store).
        var chains = await ChooseChainsAsync(request, plan.Sources, createdAt, log, cancellationToken);
        await using var progress = await ProgressMeter.StartAsync(
            Progress, "backup", ct => SourceSizes.EstimateAsync(engine, store, plan.Sources, chains, log, ct), clock, cancellationToken);
        await using var window = await ConsistencyWindow.OpenAsync(engine, stopper, id, plan.Consistency, "nothing was backed up", log, cancellationToken, request.StopTimeout);
        await using var writer = new SetWriter(engine, store, id, request.Compression, request.Key, log) { Progress = progress };
        await window.WhileStoppedAsync(async ct =>
        {
            foreach (var (source, chain) in plan.Sources.Zip(chains))
            {
                await writer.WriteAsync(source, chain, ct);
            }

            writer.RequireArchives();
            progress?.Finish();
            return writer.Archives;
        }, cancellationToken);
        var set = await writer.CommitAsync(createdAt, request.Container, window.Downtimes, cancellationToken);
        var problems = await window.CloseAsync();
        foreach (var warning in set.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        log.Information("Backup set {SetId} is complete: {Count} archive(s), {Bytes} bytes", id, set.Archives.Count, set.Archives.Sum(a => a.Bytes));
        return problems.Count > 0
            ? throw new BackupAgentException($"backup set {id} is complete, but {string.Join("; ", problems)}")
            : set;
    }

    private async Task<IReadOnlyList<ChainStart?>> ChooseChainsAsync(BackupRequest request, IReadOnlyList<BackupSource> sources, DateTimeOffset now, ILogger log, CancellationToken cancellationToken)
    {
        if (request.Chain is not { } chain)
        {
            return sources.Select(_ => (ChainStart?)null).ToList();
        }

        var catalog = new BackupCatalog(store);
        // The store's listing and the engine's identity are asked for at once (each is a round trip or more).
        var scanning = chain.Incremental ? catalog.ScanAsync(null, cancellationToken) : Task.FromResult(new CatalogListing([], []));
        var asking = engine.GetIdentityAsync(cancellationToken);
        await Task.WhenAll(scanning, asking);
        var (listing, identity) = (await scanning, ChainStart.EngineHash(await asking));
        var starts = new List<ChainStart?>();
        foreach (var source in sources)
        {
            starts.Add(await ChainStart.ChooseAsync(chain, source, catalog, listing, request.Key, identity, now, log, cancellationToken));
        }

        return starts;
    }

    private async Task<BackupPlan> PlanCoreAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        var sources = await BackupSources.PlanAsync(engine, request, cancellationToken);
        var containers = await engine.ListContainersAsync(null, cancellationToken);
        var consistency = ConsistencyPlan.Create(containers, sources.Select(s => s.Volume).ToList(), request.Stop);
        return new BackupPlan(sources, consistency with
        {
            PreHooks = [.. request.PreHooks, .. consistency.PreHooks],
            PostHooks = [.. consistency.PostHooks, .. request.PostHooks],
        });
    }
}
