using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>The verdict on each archive of the set, and (verifying the latest) the sets whose manifests cannot be read.</summary>
public sealed record VerifyResult(BackupSet Set, IReadOnlyList<ArchiveVerdict> Archives, IReadOnlyList<UnreadableSet> Unreadable)
{
    public bool Ok => Archives.All(a => a.Problems.Count == 0) && Unreadable.Count == 0;
}

public sealed record ArchiveVerdict(ArchiveInfo Archive, IReadOnlyList<string> Problems);

/// <summary>
/// Reads every archive of a set once, checking its SHA-256, its encryption, its compression and its tar entries
/// against the manifest. Given an engine (<c>--deep</c>), that one read restores each archive into a scratch volume,
/// whose every file is then compared with the index recorded at backup time.
/// </summary>
public sealed class VerifyOperation(IBackupStore store, ILogger log, IContainerEngine? deepWith = null)
{
    /// <summary>Take an encrypted set whose manifest carries no MAC (made by an agent older than the MAC), with a warning.</summary>
    public bool AcceptWithoutMac { get; init; }

    public async Task<VerifyResult> RunAsync(string? backupId, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var catalog = new BackupCatalog(store);
        BackupSet set;
        IReadOnlyList<UnreadableSet> unreadable = [];
        if (backupId is null or BackupSetId.Latest)
        {
            var listing = await catalog.ScanAsync(null, cancellationToken);
            set = catalog.Latest(listing, []);
            unreadable = listing.Unreadable;
        }
        else
        {
            set = await catalog.ResolveAsync(backupId, [], cancellationToken);
        }

        foreach (var other in unreadable)
        {
            log.Error("Backup set {SetId} cannot be read: {Reason}", other.Id, other.Reason);
        }

        await catalog.AuthenticateAsync(set, key, AcceptWithoutMac, log, cancellationToken);
        ArchiveStreams.RequireKeys(set.Archives, key);
        var deep = deepWith is null ? null : new DeepVerify(deepWith, store, log);
        if (deepWith is not null)
        {
            await deepWith.PrepareAsync(cancellationToken);
        }

        var verdicts = new List<ArchiveVerdict>();
        foreach (var archive in set.Archives)
        {
            var problems = deep is null
                ? await ArchiveRead.ProblemsAsync(store, set, archive, key, null, cancellationToken)
                : await deep.ProblemsAsync(set, archive, key, cancellationToken);

            foreach (var problem in problems)
            {
                log.Error("Set {SetId}: {Problem}", set.Id, problem);
            }

            verdicts.Add(new ArchiveVerdict(archive, problems));
        }

        return new VerifyResult(set, verdicts, unreadable);
    }
}
