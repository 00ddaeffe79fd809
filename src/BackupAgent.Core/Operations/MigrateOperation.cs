using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record MigrateRequest(IReadOnlyList<VolumeMapping> Volumes, string? Container)
{
    public bool WithContainers { get; init; }

    public bool Start { get; init; }

    public bool CopyImages { get; init; }

    public bool Stop { get; init; }

    /// <summary>Leave the source containers stopped after the copy (the cut-over).</summary>
    public bool LeaveStopped { get; init; }

    public bool Force { get; init; }

    public bool DryRun { get; init; }
}

public sealed record MigratedVolume(string Source, string Target, bool Created, long Files, long ContentBytes, string Sha256, IReadOnlyList<string> Differences)
{
    public bool Verified => Differences.Count == 0;
}

public sealed record MigrateResult(
    bool DryRun, IReadOnlyList<MigratedVolume> Volumes, IReadOnlyList<string> Containers, IReadOnlyList<string> StoppedOnSource, string? BackupSetId, IReadOnlyList<Downtime> Downtimes)
{
    /// <summary>What failed once the data was moved (a container that did not start again on the source, a post-backup hook): the migration is complete, but the run fails.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool Ok => Volumes.All(v => v.Verified) && Problems.Count == 0;
}

/// <summary>
/// Moves volumes, and optionally the containers that use them, to another engine, under the locks of the source and
/// the target volumes (not for a dry run, which touches nothing). Everything is checked before
/// anything on the source is stopped (both engines answer, names, target volumes, images, container names). The
/// data streams from a helper on the source straight into a helper on the target, or with <paramref name="via"/>
/// goes through a backup set in that store, which stays as a backup. The target is then read back and compared
/// file by file with what was read from the source.
/// </summary>
public sealed class MigrateOperation(IContainerEngine source, IContainerEngine target, ContainerStopper stopper, ILogger log, TimeProvider clock, IBackupStore? via)
{
    /// <summary>
    /// Where the run's progress goes: the tar bytes read from the sources (and, with a via store, then those restored
    /// from it), of a total estimated as a backup's is.
    /// </summary>
    public IProgressSink? Progress { get; init; }

    public async Task<MigrateResult> RunAsync(MigrateRequest request, CancellationToken cancellationToken)
    {
        await source.PrepareAsync(cancellationToken);
        await PrepareTargetAsync(cancellationToken);
        await stopper.RecoverAsync(cancellationToken);

        var sources = await BackupSources.PlanAsync(source, new BackupRequest(request.Container is null ? request.Volumes.Select(v => v.Source).ToList() : [], request.Container, Compression.Zstd), cancellationToken);
        var steps = MigratePlan.Map(sources, request.Volumes);
        if (await source.GetIdentityAsync(cancellationToken) == await target.GetIdentityAsync(cancellationToken) && await SharesVolumesAsync(cancellationToken))
        {
            MigratePlan.EnsureNotOntoItself(steps, target.Endpoint);
        }

        await using var locked = request.DryRun ? null : await LockAsync(steps, cancellationToken);
        var containers = await source.ListContainersAsync(null, cancellationToken);
        var definitions = request.WithContainers ? await DefinitionsAsync(containers, steps, request, cancellationToken) : [];
        var states = await TargetCheck.InspectAsync(target, steps.Select(s => s.Target).ToList(), request.Force, cancellationToken);
        var consistency = ConsistencyPlan.Create(containers, sources.Select(s => s.Volume).ToList(), request.Stop);
        var toStop = consistency.Stop.Select(c => c.Name).ToList();
        if (request.DryRun)
        {
            var planned = steps.Zip(states, (s, t) => new MigratedVolume(s.Source.Volume, s.Target, t.Create, 0, 0, "", [])).ToList();
            return new MigrateResult(true, planned, definitions.Select(d => d.Name).ToList(), toStop, null, []);
        }

        var createdAt = clock.GetUtcNow();
        var runId = BackupSetId.New(createdAt);
        await using var progress = await ProgressMeter.StartAsync(
            Progress, "migrate", async ct => await SourceSizes.EstimateAsync(source, via, sources, null, log, ct) is { } read ? read * (via is null ? 1 : 2) : null, clock, cancellationToken);
        await using var window = await ConsistencyWindow.OpenAsync(source, stopper, runId, consistency, "nothing was migrated", log, cancellationToken);
        List<MigratedVolume> moved;
        if (via is null)
        {
            moved = await window.WhileStoppedAsync(ct => StreamAsync(steps, states, progress, ct), cancellationToken, request.LeaveStopped);
        }
        else if (request.LeaveStopped)
        {
            // A cut-over leaves the sources stopped only once the target holds their data: until then a failure starts them again.
            await using var writer = new SetWriter(source, via, runId, Compression.Zstd, null, log) { Progress = progress };
            moved = await window.WhileStoppedAsync(async ct =>
            {
                await WriteSetAsync(writer, steps, ct);
                var set = await writer.CommitAsync(createdAt, request.Container, [], ct);
                return await RestoreSetAsync(set, steps, states, progress, ct);
            }, cancellationToken, leaveStopped: true);
        }
        else
        {
            // The sources are still only while they are read into the set; it is restored on the target after.
            await using var writer = new SetWriter(source, via, runId, Compression.Zstd, null, log) { Progress = progress };
            await window.WhileStoppedAsync(ct => WriteSetAsync(writer, steps, ct), cancellationToken);
            var set = await writer.CommitAsync(createdAt, request.Container, window.Downtimes, cancellationToken);
            moved = await RestoreSetAsync(set, steps, states, progress, cancellationToken);
        }

        progress?.Finish();
        var problems = await window.CloseAsync();
        foreach (var definition in definitions)
        {
            log.Information("Creating container {Container} on {Endpoint}", definition.Name, target.Endpoint);
            await target.CreateContainerAsync(definition, cancellationToken);
        }

        if (request.Start)
        {
            foreach (var definition in definitions)
            {
                await target.StartContainerAsync(definition.Name, cancellationToken);
            }
        }

        return new MigrateResult(false, moved, definitions.Select(d => d.Name).ToList(), request.LeaveStopped ? toStop : [], via is null ? null : runId, window.Downtimes)
        {
            Problems = problems,
        };
    }

    /// <summary>Locks the source volumes on the source engine and the target volumes on the target engine, in one fixed order.</summary>
    private async Task<IAsyncDisposable> LockAsync(IReadOnlyList<MigrateStep> steps, CancellationToken cancellationToken)
    {
        var (from, to) = (await source.GetIdentityAsync(cancellationToken), await target.GetIdentityAsync(cancellationToken));
        var volumes = steps.Select(s => new VolumeKey(from, s.Source.Volume)).Concat(steps.Select(s => new VolumeKey(to, s.Target)));
        return await stopper.Locks.AcquireAsync(volumes, log, cancellationToken);
    }

    /// <summary>
    /// Whether the target sees the source's volumes: engines that look alike may still be two hosts cloned from one
    /// image, so a probe volume made on the source (and removed at once) must show on the target.
    /// </summary>
    private async Task<bool> SharesVolumesAsync(CancellationToken cancellationToken)
    {
        var probe = await source.CreateScratchVolumeAsync("probe: does the target see the source's volumes", cancellationToken);
        try
        {
            return await target.FindVolumeAsync(probe, cancellationToken) is not null;
        }
        finally
        {
            await source.RemoveVolumeAsync(probe, CancellationToken.None);
        }
    }

    /// <summary>Checks the target engine; a missing helper image is copied there from the source.</summary>
    private async Task PrepareTargetAsync(CancellationToken cancellationToken)
    {
        try
        {
            await target.PrepareAsync(cancellationToken);
        }
        catch (HelperImageMissingException)
        {
            log.Information("Copying the helper image {Image} to {Endpoint}", target.HelperImage, target.Endpoint);
            await CopyImageAsync(source.HelperImage, cancellationToken);
            await target.PrepareAsync(cancellationToken);
        }
    }

    private async Task CopyImageAsync(string image, CancellationToken cancellationToken)
    {
        await using var images = await source.SaveImageAsync(image, cancellationToken);
        await target.LoadImageAsync(images, cancellationToken);
    }

    /// <summary>The containers that use the migrated volumes (and those they take volumes from), ready to create on the target.</summary>
    private async Task<IReadOnlyList<ContainerDefinition>> DefinitionsAsync(
        IReadOnlyList<ContainerInfo> containers, IReadOnlyList<MigrateStep> steps, MigrateRequest request, CancellationToken cancellationToken)
    {
        var names = containers.Where(c => steps.Any(s => c.Uses(s.Source.Volume))).Select(c => c.Name).ToList();
        if (request.Container is { } named && !names.Contains(named))
        {
            names.Add(named);
        }

        var definitions = new List<ContainerDefinition>();
        foreach (var name in names)
        {
            definitions.Add(MigratePlan.Rename(await source.GetDefinitionAsync(name, cancellationToken), steps));
        }

        var problems = new List<FormattableString>();
        foreach (var definition in definitions)
        {
            if (await ExistsOnTargetAsync(definition.Name, cancellationToken))
            {
                problems.Add($"a container named '{definition.Name}' already exists on {target.Endpoint}");
            }
        }

        foreach (var image in definitions.Select(d => d.Image).Distinct())
        {
            if (await target.HasImageAsync(image, cancellationToken))
            {
                continue;
            }

            if (request.CopyImages)
            {
                log.Information("Copying image {Image} to {Endpoint}", image, target.Endpoint);
                await CopyImageAsync(image, cancellationToken);
            }
            else
            {
                problems.Add($"the image '{image}' is not on {target.Endpoint} (pull it there, or {Setting.CopyImages} to copy it from the source)");
            }
        }

        return problems.Count > 0 ? throw new BackupAgentException(Phrase.Join("; ", [.. problems, $"nothing was changed"])) : MigratePlan.CreationOrder(definitions);
    }

    private async Task<bool> ExistsOnTargetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await target.GetContainerAsync(name, cancellationToken);
            return true;
        }
        catch (BadInputException)
        {
            return false;
        }
    }

    /// <summary>
    /// Streams each source's tar from a helper on the source into a helper that stages it on the target; once every
    /// target is staged they are swapped in (or, on a failure, all left as they were), then compared.
    /// </summary>
    private async Task<List<MigratedVolume>> StreamAsync(IReadOnlyList<MigrateStep> steps, IReadOnlyList<TargetCheck.State> states, ProgressMeter? progress, CancellationToken cancellationToken)
    {
        var read = new (List<TarIndexEntry> Expected, TarStats Stats, string Sha256)[steps.Count];
        var targets = steps.Zip(states, (step, state) => new StagedRestore(step.Target, StagedTarget.NewToken(), state.Create, Committing: false)).ToList();
        await StagedTarget.StageThenSwapAsync(target, targets, (i, ct) => CreateTargetAsync(steps[i], ct), async (staged, i, ct) =>
        {
            var (step, state) = (steps[i], states[i]);
            progress?.Volume(step.Source.Volume);
            log.Information("Streaming {Volume} into {Target} on {Endpoint}", step.Source.Volume, step.Target, target.Endpoint);
            await using var reader = await step.Source.Reader.StartAsync(source, $"reading '{step.Source.Volume}' on {source.Endpoint}", ct);
            var expected = new List<TarIndexEntry>();
            var tar = new TarStatsStream(reader.Tar, (entry, _) =>
            {
                expected.Add(entry);
                return ValueTask.CompletedTask;
            }, progress: progress);
            await using var hashed = new HashingStream(tar);

            // The writer first: if it died, the reader may be blocked on its output (disposing it ends it).
            await staged.StageAsync(step.Source.Volume, hashed, tar.Stats, null, replacing: state.NonEmpty, ct);
            // Files that changed as they were read are fine here; a source that is not a directory, or a tar without its end, is not.
            var ended = await reader.WaitAsync(ct);
            if (ended.Outcome == TarReadOutcome.NotADirectory || !tar.Stats.Ended)
            {
                throw ended.Failure();
            }

            read[i] = (expected, tar.Stats, hashed.Sha256);
        }, journal: null, log, cancellationToken);

        var moved = new List<MigratedVolume>();
        for (var i = 0; i < steps.Count; i++)
        {
            moved.Add(await CompareAsync(steps[i], states[i], read[i].Expected, read[i].Stats.Entries, read[i].Stats.ContentBytes, read[i].Sha256, cancellationToken));
        }

        return moved;
    }

    /// <summary>Reads every source into the via store's set; a source that is not a directory cannot be migrated.</summary>
    private static async Task<IReadOnlyList<ArchiveInfo>> WriteSetAsync(SetWriter writer, IReadOnlyList<MigrateStep> steps, CancellationToken cancellationToken)
    {
        foreach (var step in steps)
        {
            _ = await writer.WriteAsync(step.Source, cancellationToken)
                ?? throw new BackupAgentException($"'{step.Source.Volume}' is not a directory and cannot be migrated");
        }

        return writer.Archives;
    }

    /// <summary>Restores the via store's set (a set that stays, as a backup) on the target, then compares each target with its archive's index.</summary>
    private async Task<List<MigratedVolume>> RestoreSetAsync(
        BackupSet set, IReadOnlyList<MigrateStep> steps, IReadOnlyList<TargetCheck.State> states, ProgressMeter? progress, CancellationToken cancellationToken)
    {
        log.Information("Backup set {SetId} written to {Store}; restoring it on {Endpoint}", set.Id, via!.Location, target.Endpoint);
        progress?.Expect(set.Archives.Sum(a => a.TarBytes));
        var restoreSteps = steps.Zip(set.Archives, states).Select(s => (new RestoreStep(s.Second, s.First.Target), s.Third)).ToList();
        // The set is this run's own, held in memory and never read back as a manifest: the target volumes get the
        // driver options of the live source volumes (trusted like the source engine).
        await RestoreOperation.RestoreAsync(target, via, set, restoreSteps, null, trusted: true, journal: null, log, cancellationToken, progress: progress);
        var moved = new List<MigratedVolume>();
        foreach (var ((step, state), archive) in steps.Zip(states).Zip(set.Archives))
        {
            var expected = await DeepVerify.ReadIndexAsync(via, set, archive, null, cancellationToken);
            moved.Add(await CompareAsync(step, state, expected, archive.Files, archive.ContentBytes, archive.Sha256, cancellationToken));
        }

        return moved;
    }

    private async Task<MigratedVolume> CompareAsync(
        MigrateStep step, TargetCheck.State state, List<TarIndexEntry> expected, long files, long contentBytes, string sha256, CancellationToken cancellationToken)
    {
        var differences = TarIndex.Compare(expected, await IndexHelper.IndexAsync(target, step.Target, cancellationToken));
        foreach (var difference in differences)
        {
            log.Error("Target {Target} differs from the source: {Difference}", step.Target, difference);
        }

        return new MigratedVolume(step.Source.Volume, step.Target, state.Create, files, contentBytes, sha256, differences);
    }

    private Task CreateTargetAsync(MigrateStep step, CancellationToken cancellationToken)
    {
        var info = step.Source.Info;
        return target.CreateVolumeAsync(
            new VolumeInfo(step.Target, info?.Driver ?? "local", info?.Options ?? new Dictionary<string, string>(), info?.Labels ?? new Dictionary<string, string>()),
            cancellationToken);
    }
}
