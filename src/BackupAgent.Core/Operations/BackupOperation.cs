using BackupAgent.Core.Consistency;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
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
}

/// <summary>What a backup will do: the sources, the containers it stops and the hooks it runs.</summary>
public sealed record BackupPlan(IReadOnlyList<BackupSource> Sources, ConsistencyPlan Consistency);

/// <summary>
/// One backup run, under the locks of its sources: pre-backup hooks; the containers that must be still are stopped
/// (journalled first); every source is archived; the containers are started again as soon as the data is read; the manifest is written last; then
/// post-backup hooks, on every path. On failure the archives already written are removed.
/// </summary>
public sealed class BackupOperation(IContainerEngine engine, IBackupStore store, ContainerStopper stopper, ILogger log, TimeProvider clock)
{
    /// <summary>The plan of a backup, touching nothing (for --dry-run).</summary>
    public async Task<BackupPlan> PlanAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        await engine.PrepareAsync(cancellationToken);
        return await PlanCoreAsync(request, cancellationToken);
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

        var hooks = new HookRunner(engine, log);
        var afterwards = new List<string>();
        BackupSet set;
        try
        {
            var preFailures = await hooks.RunAsync("pre-backup", plan.Consistency.PreHooks, cancellationToken);
            if (preFailures.Where(f => f.Hook.FailRunOnError).Select(f => f.Failure).ToList() is { Count: > 0 } fatal)
            {
                throw new BackupAgentException($"{string.Join("; ", fatal)}; nothing was backed up");
            }

            var (archives, downtimes) = await ReadSourcesAsync(id, plan, request, afterwards, cancellationToken);
            set = new BackupSet
            {
                Id = id,
                CreatedAt = createdAt,
                ToolVersion = ToolVersion.Current,
                SourceContainer = request.Container,
                Archives = archives,
                Downtimes = downtimes,
                Warnings = await SizeDrops.FindAsync(new BackupCatalog(store), archives, cancellationToken),
            };
            await SaveManifestAsync(set, request.Key, cancellationToken);
        }
        finally
        {
            var postFailures = await hooks.RunAsync("post-backup", plan.Consistency.PostHooks, CancellationToken.None);
            afterwards.AddRange(postFailures.Select(f => f.Failure));
        }

        foreach (var warning in set.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        log.Information("Backup set {SetId} is complete: {Count} archive(s), {Bytes} bytes", id, set.Archives.Count, set.Archives.Sum(a => a.Bytes));
        return afterwards.Count > 0
            ? throw new BackupAgentException($"backup set {id} is complete, but {string.Join("; ", afterwards)}")
            : set;
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

    /// <summary>Stops what must be still, archives every source, and starts the containers again before returning.</summary>
    private async Task<(List<ArchiveInfo>, IReadOnlyList<Downtime>)> ReadSourcesAsync(
        string id, BackupPlan plan, BackupRequest request, List<string> afterwards, CancellationToken cancellationToken)
    {
        var archiver = new SourceArchiver(engine, store, log);
        var archives = new List<ArchiveInfo>();
        var stopped = await stopper.StopAsync(id, plan.Consistency.Stop, request.StopTimeout, cancellationToken);
        try
        {
            foreach (var source in plan.Sources)
            {
                if (await archiver.ArchiveAsync(id, source, request.Compression, request.Key, cancellationToken) is { } archive)
                {
                    archives.Add(archive);
                }
            }

            if (archives.Count == 0)
            {
                throw new BackupAgentException("nothing was backed up: no source could be read as a directory");
            }
        }
        catch (Exception failure)
        {
            await DeleteAsync(id, archives);
            await stopped.RestartAfterAsync(failure);
            throw;
        }

        try
        {
            return (archives, await stopped.RestartAsync(cancellationToken));
        }
        catch (BackupAgentException restart)
        {
            // The data is read and consistent: keep the backup, and fail the run loudly.
            afterwards.Add(restart.Message);
            return (archives, []);
        }
    }

    private async Task SaveManifestAsync(BackupSet set, ArchiveKey? key, CancellationToken cancellationToken)
    {
        try
        {
            await new BackupCatalog(store).SaveAsync(set, key, cancellationToken);
        }
        catch
        {
            await DeleteAsync(set.Id, set.Archives);
            throw;
        }
    }

    private async Task DeleteAsync(string id, IReadOnlyList<ArchiveInfo> archives)
    {
        var partial = new BackupSet { Id = id, CreatedAt = default, ToolVersion = ToolVersion.Current, Archives = archives };
        foreach (var item in partial.ArchiveItems())
        {
            try
            {
                await store.DeleteAsync(item, CancellationToken.None);
            }
            catch (BackupAgentException e)
            {
                // The set has no manifest, so it is never listed; the first error is the one to report.
                log.Warning("Could not remove {Item} of the failed set {SetId}: {Error}", item, id, e.Message);
            }
        }
    }
}
