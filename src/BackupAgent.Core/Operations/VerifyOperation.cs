using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Progress;
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
/// whose every file is then compared with the index recorded at backup time. An incremental archive is checked with
/// every archive of its chain (docs/incremental.md); a deep verify replays the chain and compares the whole tree.
/// </summary>
public sealed class VerifyOperation(IBackupStore store, ILogger log, IContainerEngine? deepWith = null)
{
    /// <summary>Why an archive of the set being verified has no chain (its base is missing or unreadable).</summary>
    private readonly Dictionary<ArchiveInfo, string> _chainProblems = new(ReferenceEqualityComparer.Instance);

    /// <summary>Take an encrypted set whose manifest carries no MAC (made by an agent older than the MAC), with a warning.</summary>
    public bool AcceptWithoutMac { get; init; }

    /// <summary>Where the run's progress goes; its total is the tar bytes the manifests declare.</summary>
    public IProgressSink? Progress { get; init; }

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
        var chains = await ChainsAsync(catalog, set, key, cancellationToken);
        ArchiveStreams.RequireKeys(chains.Values.SelectMany(c => c).Select(l => l.Archive).Concat(set.Archives), key);
        var deep = deepWith is null ? null : new DeepVerify(deepWith, store, log);
        if (deepWith is not null)
        {
            await deepWith.PrepareAsync(cancellationToken);
        }

        var verdicts = new List<ArchiveVerdict>();
        await using var progress = ProgressMeter.Start(Progress, "verify", chains.Values.Sum(c => c.Sum(l => l.Archive.TarBytes)));
        foreach (var archive in set.Archives)
        {
            var problems = !chains.TryGetValue(archive, out var chain) ? [_chainProblems[archive]]
                : deep is not null ? await deep.ProblemsAsync(chain, key, cancellationToken, progress)
                : await ChainProblemsAsync(chain, key, cancellationToken, progress);

            foreach (var problem in problems)
            {
                log.Error("Set {SetId}: {Problem}", set.Id, problem);
            }

            verdicts.Add(new ArchiveVerdict(archive, problems));
        }

        progress?.Finish();
        return new VerifyResult(set, verdicts, unreadable);
    }

    /// <summary>Each archive's chain (itself alone when it is full); an archive whose chain is broken has none, and its problem is kept.</summary>
    private async Task<Dictionary<ArchiveInfo, IReadOnlyList<ChainLink>>> ChainsAsync(BackupCatalog catalog, BackupSet set, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var chains = new Dictionary<ArchiveInfo, IReadOnlyList<ChainLink>>(ReferenceEqualityComparer.Instance);
        var listing = set.Archives.Any(a => a.Level > 0) ? await catalog.ScanAsync(null, cancellationToken) : null;
        foreach (var archive in set.Archives)
        {
            var (links, problem) = listing is null ? ([new ChainLink(set, archive)], null) : Chains.Resolve(set, archive, listing);
            if (links is null)
            {
                _chainProblems[archive] = problem!;
                continue;
            }

            foreach (var link in links.Where(l => l.Set.Id != set.Id))
            {
                await catalog.AuthenticateAsync(link.Set, key, AcceptWithoutMac, log, cancellationToken);
            }

            chains[archive] = links;
        }

        return chains;
    }

    /// <summary>Reads every archive of a chain once, checking each against its manifest.</summary>
    private async Task<IReadOnlyList<string>> ChainProblemsAsync(IReadOnlyList<ChainLink> chain, ArchiveKey? key, CancellationToken cancellationToken, ProgressMeter? progress)
    {
        var problems = new List<string>();
        foreach (var link in chain)
        {
            var found = await ArchiveRead.ProblemsAsync(store, link.Set, link.Archive, key, null, cancellationToken, progress);
            problems.AddRange(chain.Count == 1 ? found : found.Select(p => $"{p} (set '{link.Set.Id}', level {link.Archive.Level} of the chain)"));
        }

        return problems;
    }
}
