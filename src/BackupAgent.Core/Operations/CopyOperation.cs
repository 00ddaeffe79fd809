using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>Which sets to copy: <paramref name="Backup"/> is a set ID, <c>latest</c> or <c>all</c>; optionally only sets holding <paramref name="Volume"/>.</summary>
public sealed record CopyRequest(string Backup, string? Volume, bool DryRun)
{
    public const string All = "all";
}

public enum CopyOutcome
{
    /// <summary>Copied now.</summary>
    Copied,

    /// <summary>The target holds the set already, with the same hashes.</summary>
    AlreadyThere,

    /// <summary>A dry run: it would be copied.</summary>
    WouldCopy,

    /// <summary>Not copied; <see cref="SetCopy.Problem"/> says why.</summary>
    Failed,
}

/// <summary>What happened to one set: its outcome, the bytes it holds as stored, and for a failure why.</summary>
public sealed record SetCopy(string Id, CopyOutcome Outcome, long Bytes, string? Problem = null)
{
    public string Describe(string to) => Outcome switch
    {
        CopyOutcome.Copied => $"{Id} copied to {to} ({Formats.ByteSize.Human(Bytes)})",
        CopyOutcome.AlreadyThere => $"{Id} is in {to} already",
        CopyOutcome.WouldCopy => $"{Id} would be copied to {to} ({Formats.ByteSize.Human(Bytes)})",
        _ => $"{Id} was not copied to {to}: {Problem}",
    };
}

/// <summary>The sets a copy looked at, oldest first.</summary>
public sealed record CopyResult(string From, string To, IReadOnlyList<SetCopy> Sets)
{
    public IReadOnlyList<SetCopy> Failed => Sets.Where(s => s.Outcome == CopyOutcome.Failed).ToList();

    public long CopiedBytes => Sets.Where(s => s.Outcome == CopyOutcome.Copied).Sum(s => s.Bytes);
}

/// <summary>
/// Copies backup sets from one store to another as they are stored (an encrypted set stays encrypted; no key is
/// needed). The source is untrusted like any store: its manifests come in through <see cref="ManifestDoor"/> and each
/// archive and index is streamed through <see cref="ItemCopy"/>, which checks its size and SHA-256 against the
/// manifest on the way. The manifest (after its MAC) is written last, byte for byte, so a set is listed in the target
/// only once all of it is there. A set the target holds already with the same hashes is skipped, so running a copy
/// again finishes one that was interrupted; one that holds another set under the same ID is never overwritten.
/// Sets are copied oldest first, each whole; a failed one leaves nothing in the target and does not stop the others.
/// A set chosen by ID (or <c>latest</c>) that holds incremental archives brings the sets of their chains along, bases
/// first (those the target holds already are skipped), so that the target can restore it; without them it is not copied.
/// </summary>
public sealed class CopyOperation(IBackupStore from, IBackupStore to, ILogger log)
{
    public async Task<CopyResult> RunAsync(CopyRequest request, CancellationToken cancellationToken)
    {
        if (from.Location == to.Location)
        {
            throw new BadInputException($"a copy needs two stores, but its source and its target are both {from.Location}");
        }

        var source = new BackupCatalog(from);
        var target = new BackupCatalog(to);
        var results = new List<SetCopy>();
        var (sets, unreadable) = await SelectAsync(source, request, cancellationToken);
        results.AddRange(unreadable.Select(u => new SetCopy(u.Id, CopyOutcome.Failed, 0, u.Reason)));
        var (ordered, broken) = request.Backup == CopyRequest.All ? (sets, new Dictionary<string, string>()) : await WithBasesAsync(source, sets, cancellationToken);
        var outcomes = new Dictionary<string, CopyOutcome>(StringComparer.Ordinal);
        foreach (var set in ordered)
        {
            // A level is of use in the target only with its chain: its bases go first, and without them it does not go.
            var copy = broken.TryGetValue(set.Id, out var problem) ? new SetCopy(set.Id, CopyOutcome.Failed, 0, problem)
                : request.Backup != CopyRequest.All && set.Archives.Select(a => a.Base).OfType<string>().FirstOrDefault(b => outcomes.GetValueOrDefault(b) == CopyOutcome.Failed) is { } failedBase
                    ? new SetCopy(set.Id, CopyOutcome.Failed, 0, $"its base set '{failedBase}' was not copied, and a level cannot be restored without it")
                    : await CopySetAsync(source, target, set, request.DryRun, cancellationToken);
            outcomes[set.Id] = copy.Outcome;
            results.Add(copy);
        }

        return new CopyResult(from.Location, to.Location, results.OrderBy(r => r.Id, StringComparer.Ordinal).ToList());
    }

    private static async Task<(IReadOnlyList<BackupSet> Sets, IReadOnlyList<UnreadableSet> Unreadable)> SelectAsync(
        BackupCatalog source, CopyRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyCollection<string> volumes = request.Volume is { } v ? [v] : [];
        if (request.Backup == CopyRequest.All)
        {
            var listing = await source.ScanAsync(request.Volume, cancellationToken);
            return (listing.Sets.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList(), listing.Unreadable);
        }

        var set = await source.ResolveAsync(request.Backup, volumes, cancellationToken);
        return request.Volume is { } volume && set.FindArchive(volume) is null
            ? throw new BadInputException(new Phrase($"backup set '{set.Id}' in {source.Store.Location} holds no {Setting.Volume} '{volume}'"))
            : ([set], []);
    }

    /// <summary>
    /// The sets of a copy with the chains their incremental archives need, bases first (oldest first), each once; a set
    /// whose chain is broken in the source is kept out with the reason.
    /// </summary>
    private static async Task<(IReadOnlyList<BackupSet> Sets, Dictionary<string, string> Broken)> WithBasesAsync(
        BackupCatalog source, IReadOnlyList<BackupSet> sets, CancellationToken cancellationToken)
    {
        var broken = new Dictionary<string, string>(StringComparer.Ordinal);
        if (sets.All(s => s.Archives.All(a => a.Level == 0)))
        {
            return (sets, broken);
        }

        var listing = await source.ScanAsync(null, cancellationToken);
        var all = new List<BackupSet>();
        foreach (var set in sets)
        {
            all.Add(set);
            foreach (var archive in set.Archives.Where(a => a.Level > 0))
            {
                var (links, problem) = Chains.Resolve(set, archive, listing);
                if (links is null)
                {
                    broken.TryAdd(set.Id, $"its chain cannot be copied whole, and a level cannot be restored without it: {problem}");
                }
                else
                {
                    all.AddRange(links.Select(l => l.Set));
                }
            }
        }

        return (all.DistinctBy(s => s.Id).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList(), broken);
    }

    private async Task<SetCopy> CopySetAsync(BackupCatalog source, BackupCatalog target, BackupSet set, bool dryRun, CancellationToken cancellationToken)
    {
        var bytes = set.Archives.Sum(a => a.StoredItems().Sum(i => i.Bytes ?? 0));
        try
        {
            if (await target.FindAsync(set.Id, cancellationToken) is { } there)
            {
                return SameItems(set, there)
                    ? new SetCopy(set.Id, CopyOutcome.AlreadyThere, bytes)
                    : new SetCopy(set.Id, CopyOutcome.Failed, 0, $"{to.Location} holds another set under this ID (other archives or hashes); it was left as it is");
            }
        }
        catch (UnreadableManifestException e)
        {
            return new SetCopy(set.Id, CopyOutcome.Failed, 0, $"{to.Location} holds a set under this ID whose manifest cannot be read ({e.Message}); it was left as it is");
        }

        if (dryRun)
        {
            return new SetCopy(set.Id, CopyOutcome.WouldCopy, bytes);
        }

        log.Information("Copying backup set {SetId} ({Bytes} bytes) from {From} to {To}", set.Id, bytes, from.Location, to.Location);
        var saving = false;
        try
        {
            await CopyItemsAsync(set, cancellationToken);
            saving = true;
            await SaveAsync(source, target, set, cancellationToken);
            log.Information("Backup set {SetId} is complete in {To}", set.Id, to.Location);
            return new SetCopy(set.Id, CopyOutcome.Copied, bytes);
        }
        catch (Exception e)
        {
            await RemoveAsync(target, set, saving);
            if (e is not BackupAgentException known)
            {
                throw;
            }

            log.Error("Copying backup set {SetId} to {To} failed: {Error}", set.Id, to.Location, known.Message);
            return new SetCopy(set.Id, CopyOutcome.Failed, 0, known.Message);
        }
    }

    private async Task CopyItemsAsync(BackupSet set, CancellationToken cancellationToken)
    {
        foreach (var archive in set.Archives)
        {
            foreach (var item in archive.StoredItems())
            {
                var what = $"{item.Kind} '{item.File}' of '{item.Volume}' in set {set.Id}";
                try
                {
                    await ItemCopy.CopyAsync(from, to, SetLayout.Item(set.Id, item.File), item.Bytes, item.Sha256, what, cancellationToken);
                }
                catch (StoreItemNotFoundException)
                {
                    throw new BackupAgentException($"{what} is missing from {from.Location}; it was not copied");
                }
            }
        }
    }

    /// <summary>Writes the MAC and the manifest, then checks that every item is still there.</summary>
    private async Task SaveAsync(BackupCatalog source, BackupCatalog target, BackupSet set, CancellationToken cancellationToken)
    {
        // The MAC goes as it is: without a key it cannot be checked here; whoever uses the set with the key checks it.
        await target.SaveCopyAsync(source, set, await source.ReadOwnFilesAsync(set, cancellationToken), cancellationToken);

        // A prune of the target running meanwhile may have swept this set's items, which had no manifest yet, as leftovers.
        var present = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var name in to.ListAsync(set.Id + "/", cancellationToken))
        {
            present.Add(name);
        }

        if (SetLayout.ArchiveItems(set.Id, set.Archives).FirstOrDefault(item => !present.Contains(item)) is { } gone)
        {
            throw new BackupAgentException($"'{gone}' went missing from {to.Location} while the set was copied (a prune of it running beside the copy?); run the copy again");
        }
    }

    /// <summary>
    /// Removes what a failed copy of <paramref name="set"/> wrote: its manifest first when it was being saved (a save that
    /// failed may have landed), then its items. When the items failed and the target holds the set's manifest by now, another
    /// copy of the same set finished beside this one: then nothing is removed.
    /// </summary>
    private async Task RemoveAsync(BackupCatalog target, BackupSet set, bool saving)
    {
        try
        {
            if (!saving && await target.FindAsync(set.Id, CancellationToken.None) is not null)
            {
                return;
            }
        }
        catch (BackupAgentException)
        {
            return;
        }

        var items = SetLayout.ArchiveItems(set.Id, set.Archives)
            .Concat(ManifestDoor.ReservedItems.Where(f => f != SetLayout.ManifestFile).Select(f => SetLayout.Item(set.Id, f)));
        foreach (var item in saving ? items.Prepend(SetLayout.Manifest(set.Id)) : items)
        {
            try
            {
                await to.DeleteAsync(item, CancellationToken.None);
            }
            catch (BackupAgentException e)
            {
                log.Warning("Could not remove {Item} of the failed copy of set {SetId}: {Error}", item, set.Id, e.Message);
            }
        }
    }

    private static bool SameItems(BackupSet a, BackupSet b) =>
        Pins(a).SetEquals(Pins(b));

    private static HashSet<(string, long?, string?)> Pins(BackupSet set) =>
        set.Archives.SelectMany(a => a.StoredItems()).Select(i => (i.File, i.Bytes, i.Sha256)).ToHashSet();
}
