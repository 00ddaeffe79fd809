using BackupAgent.Core.Crypto;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>Streams a stored archive (decrypted, decompressed) into a helper that unpacks it into a target and syncs.</summary>
public static class ArchiveUnpacker
{
    /// <summary>A helper that unpacks the tar on its stdin into <paramref name="target"/> (a volume or host path) and syncs.</summary>
    public static HelperSpec ExtractSpec(string purpose, string target, bool clearFirst) =>
        new(purpose, HelperCommands.ExtractArchive(clearFirst))
        {
            Mounts = [new HelperMount(target, HelperCommands.TargetPath, ReadOnly: false)],
            OpenStdin = true,
            Writes = true,
        };

    public static async Task UnpackAsync(
        IContainerEngine engine, IBackupStore store, BackupSet set, ArchiveInfo archive, string target, bool clearFirst, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var spec = ExtractSpec($"restore of {archive.Volume} into {target}", target, clearFirst);
        await using var raw = await store.OpenReadAsync(BackupCatalog.ArchiveItem(set, archive), cancellationToken);
        await using var hashed = new HashingStream(raw);
        await using var plain = ArchiveStreams.OpenPlaintext(hashed, archive, key);
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        await helper.FeedInputAsync(plain, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode != 0)
        {
            throw new HelperFailedException($"restoring '{archive.Volume}' into '{target}'", exit.ExitCode, exit.Stderr);
        }

        await hashed.CopyToAsync(Stream.Null, cancellationToken);
        if (hashed.Sha256 != archive.Sha256)
        {
            throw new BackupAgentException($"archive '{archive.File}' changed in {store.Location} while it was restored into '{target}'; restore again");
        }
    }
}
