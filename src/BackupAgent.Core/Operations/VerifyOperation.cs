using BackupAgent.Core.Crypto;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

public sealed record VerifyResult(BackupSet Set, IReadOnlyList<ArchiveVerdict> Archives)
{
    public bool Ok => Archives.All(a => a.Problems.Count == 0);
}

public sealed record ArchiveVerdict(ArchiveInfo Archive, IReadOnlyList<string> Problems);

/// <summary>Reads every archive of a set once, checking its SHA-256, its encryption, its compression and its tar entries against the manifest.</summary>
public sealed class VerifyOperation(IBackupStore store, ILogger log)
{
    public async Task<VerifyResult> RunAsync(string? backupId, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var set = await new BackupCatalog(store).ResolveAsync(backupId, [], cancellationToken);
        ArchiveStreams.RequireKeys(set.Archives, key);
        var verdicts = new List<ArchiveVerdict>();
        foreach (var archive in set.Archives)
        {
            var problems = await ArchiveCheck.ProblemsAsync(store, set, archive, key, CheckDepth.Unpack, cancellationToken);
            foreach (var problem in problems)
            {
                log.Error("Set {SetId}: {Problem}", set.Id, problem);
            }

            verdicts.Add(new ArchiveVerdict(archive, problems));
        }

        return new VerifyResult(set, verdicts);
    }
}
