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
    /// <summary>
    /// A helper that unpacks the tar on its stdin into <paramref name="target"/> (a volume or host path) and syncs;
    /// given the <paramref name="declared"/> archive, it first checks that the target has room for its contents (as
    /// the manifest counts them, and at least the tar's own size: tar cannot write more than it reads).
    /// </summary>
    public static HelperSpec ExtractSpec(string purpose, string target, bool clearFirst, ArchiveInfo? declared = null) =>
        new(purpose, HelperCommands.ExtractArchive(clearFirst, declared is null ? 0 : Math.Max(declared.ContentBytes, declared.TarBytes), declared?.Files ?? 0))
        {
            Mounts = [new HelperMount(target, HelperCommands.TargetPath, ReadOnly: false)],
            OpenStdin = true,
            Writes = true,
        };

    public static async Task UnpackAsync(
        IContainerEngine engine, IBackupStore store, BackupSet set, ArchiveInfo archive, string target, bool clearFirst, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var spec = ExtractSpec($"restore of {archive.Volume} into {target}", target, clearFirst, archive);
        await using var raw = await store.OpenReadAsync(BackupCatalog.ArchiveItem(set, archive), cancellationToken);
        await using var hashed = new HashingStream(raw);
        await using var plain = ArchiveStreams.OpenPlaintext(hashed, archive, key);
        await using var bounded = new BoundedTarStream(plain, archive.Files, archive.ContentBytes, archive.TarBytes, $"archive '{archive.File}' of '{archive.Volume}'");
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        await helper.FeedInputAsync(bounded, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode == HelperCommands.NoRoom)
        {
            throw new BackupAgentException($"'{target}' has no room for '{archive.Volume}', nothing was written into it: {exit.Stderr.Trim()}");
        }

        if (exit.ExitCode != 0)
        {
            throw new HelperFailedException($"restoring '{archive.Volume}' into '{target}'", exit.ExitCode, exit.Stderr);
        }

        if (!bounded.Stats.Ended || bounded.Stats.Entries != archive.Files)
        {
            throw new BackupAgentException(
                $"restoring '{archive.Volume}' into '{target}': the helper exited after taking {bounded.Stats.Entries} of {archive.Files} entries{(bounded.Stats.Ended ? "" : " and no end marker")}; the target is incomplete");
        }

        await hashed.CopyToAsync(Stream.Null, cancellationToken);
        if (hashed.Sha256 != archive.Sha256)
        {
            throw new BackupAgentException($"archive '{archive.File}' changed in {store.Location} while it was restored into '{target}'; restore again");
        }
    }
}
