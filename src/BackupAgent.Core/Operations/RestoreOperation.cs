using BackupAgent.Core.Consistency;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
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
}

public sealed record RestoreResult(BackupSet Set, IReadOnlyList<RestoredVolume> Volumes, IReadOnlyList<Downtime> Downtimes);

public sealed record RestoredVolume(string Volume, string Target, bool Created, long Files, long Bytes);

/// <summary>
/// Restores a set: every check (names, targets, archive checksums) passes before any volume is touched;
/// then each archive is streamed through decompression into a helper that unpacks it and syncs.
/// </summary>
public sealed class RestoreOperation(IContainerEngine engine, IBackupStore store, ContainerStopper stopper, ILogger log)
{
    public async Task<RestoreResult> RunAsync(RestoreRequest request, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        var set = await catalog.ResolveAsync(request.BackupId, request.Volumes.Select(v => v.Source).ToList(), cancellationToken);
        await catalog.AuthenticateAsync(set, request.Key, cancellationToken);
        var plan = RestorePlan.Create(set, request.Volumes, request.ToOriginalPaths);
        ArchiveStreams.RequireKeys(plan.Steps.Select(s => s.Archive), request.Key);
        await engine.PrepareAsync(cancellationToken);
        await stopper.RecoverAsync(cancellationToken);

        var targets = await TargetCheck.InspectAsync(engine, plan.Steps.Select(s => s.Target).ToList(), request.Force, cancellationToken);
        log.Information("Verifying {Count} archive(s) of set {SetId} before restoring", plan.Steps.Count, set.Id);
        await ArchiveCheck.EnsureIntactAsync(store, set, plan.Steps.Select(s => s.Archive), request.Key, cancellationToken);

        var users = request.Stop
            ? (await engine.ListContainersAsync(null, cancellationToken)).Where(c => plan.Steps.Any(step => c.Uses(step.Target))).ToList()
            : [];
        var stopped = await stopper.StopAsync($"restore-{Guid.NewGuid():N}", StopOrder.Sort(users), null, cancellationToken);
        var restored = new List<RestoredVolume>();
        try
        {
            foreach (var (step, target) in plan.Steps.Zip(targets))
            {
                if (target.Create)
                {
                    var archive = step.Archive;
                    await engine.CreateVolumeAsync(
                        new VolumeInfo(step.Target, archive.Driver ?? "local", VolumeOptionsPolicy.Choose(archive, step.Target, request.TrustVolumeOptions, log), archive.Labels), cancellationToken);
                }

                await ArchiveUnpacker.UnpackAsync(engine, store, set, step.Archive, step.Target, clearFirst: target.NonEmpty, request.Key, cancellationToken);
                restored.Add(new RestoredVolume(step.Archive.Volume, step.Target, target.Create, step.Archive.Files, step.Archive.ContentBytes));
                log.Information("Restored {Volume} into {Target}", step.Archive.Volume, step.Target);
            }
        }
        catch (Exception failure)
        {
            await stopped.RestartAfterAsync(failure);
            throw;
        }

        var downtimes = await stopped.RestartAsync(cancellationToken);
        return new RestoreResult(set, restored, downtimes);
    }
}
