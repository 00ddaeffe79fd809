using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>The encryption secret of a job (passphrase, passphrase_FILE, keyFile, recipients or identityFile), never logged.</summary>
internal static class JobKeys
{
    public static ArchiveKey? Of(JobOptions job) =>
        job.Passphrase is { Length: > 0 } passphrase ? ArchiveKey.FromPassphrase(passphrase)
        : job.KeyFile is { Length: > 0 } keyFile ? ArchiveKey.FromKeyFile(keyFile)
        : job.Recipients.Count > 0 ? ArchiveKey.FromRecipients([.. job.Recipients.SelectMany(AgeIdentity.ReadRecipients)])
        : job.IdentityFile is { Length: > 0 } identityFile ? ArchiveKey.FromIdentityFile(identityFile)
        : null;
}
