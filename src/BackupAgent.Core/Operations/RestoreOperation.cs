using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record RestoreRequest(string? BackupId, IReadOnlyList<VolumeMapping> Volumes, bool Force, ArchiveKey? Key = null);

public sealed record RestoreResult(BackupSet Set, IReadOnlyList<RestoredVolume> Volumes);

public sealed record RestoredVolume(string Volume, string Target, bool Created, long Files, long Bytes);

/// <summary>
/// Restores a set: every check (names, targets, archive checksums) passes before any volume is touched;
/// then each archive is streamed through decompression into a helper that unpacks it and syncs.
/// </summary>
public sealed class RestoreOperation(IContainerEngine engine, IBackupStore store, ILogger log)
{
    public async Task<RestoreResult> RunAsync(RestoreRequest request, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        var set = await catalog.ResolveAsync(request.BackupId, request.Volumes.Select(v => v.Source).ToList(), cancellationToken);
        var plan = RestorePlan.Create(set, request.Volumes);
        ArchiveStreams.RequireKeys(plan.Steps.Select(s => s.Archive), request.Key);
        await engine.PrepareAsync(cancellationToken);

        var targets = await InspectTargetsAsync(plan, request.Force, cancellationToken);
        log.Information("Verifying {Count} archive(s) of set {SetId} before restoring", plan.Steps.Count, set.Id);
        await ArchiveCheck.EnsureIntactAsync(store, set, plan.Steps.Select(s => s.Archive), request.Key, cancellationToken);

        var restored = new List<RestoredVolume>();
        foreach (var (step, target) in plan.Steps.Zip(targets))
        {
            if (target.Create)
            {
                var archive = step.Archive;
                await engine.CreateVolumeAsync(
                    new VolumeInfo(step.Target, archive.Driver ?? "local", archive.DriverOptions, archive.Labels), cancellationToken);
            }

            await ArchiveUnpacker.UnpackAsync(engine, store, set, step.Archive, step.Target, clearFirst: target.NonEmpty, request.Key, cancellationToken);
            restored.Add(new RestoredVolume(step.Archive.Volume, step.Target, target.Create, step.Archive.Files, step.Archive.ContentBytes));
            log.Information("Restored {Volume} into {Target}", step.Archive.Volume, step.Target);
        }

        return new RestoreResult(set, restored);
    }

    private sealed record TargetState(bool Create, bool NonEmpty);

    private async Task<List<TargetState>> InspectTargetsAsync(RestorePlan plan, bool force, CancellationToken cancellationToken)
    {
        var states = new List<TargetState>();
        var refused = new List<string>();
        foreach (var step in plan.Steps)
        {
            if (!step.TargetIsHostPath && await engine.FindVolumeAsync(step.Target, cancellationToken) is null)
            {
                states.Add(new TargetState(Create: true, NonEmpty: false));
                continue;
            }

            var nonEmpty = await IsNonEmptyAsync(step.Target, cancellationToken);
            states.Add(new TargetState(Create: false, nonEmpty));
            if (nonEmpty && !force)
            {
                refused.Add($"'{step.Target}'");
            }
        }

        return refused.Count > 0
            ? throw new BackupAgentException($"target {string.Join(", ", refused)} is not empty; nothing was restored (use --force to replace its contents with the backup)")
            : states;
    }

    private async Task<bool> IsNonEmptyAsync(string target, CancellationToken cancellationToken)
    {
        var spec = new HelperSpec($"check of {target}", HelperCommands.CheckEmpty()) { Mounts = [new HelperMount(target, HelperCommands.TargetPath, ReadOnly: true)] };
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        return exit.ExitCode switch
        {
            0 => false,
            1 => true,
            _ => throw new HelperFailedException($"checking whether '{target}' is empty", exit.ExitCode, exit.Stderr),
        };
    }
}
