using BackupAgent.Core.Crypto;
using BackupAgent.Scheduling.Config;

namespace BackupAgent.Scheduling.Running;

/// <summary>The encryption secret of a job (passphrase, passphrase_FILE, or keyFile), never logged.</summary>
internal static class JobKeys
{
    public static ArchiveKey? Of(JobOptions job) =>
        job.Passphrase is { Length: > 0 } passphrase ? ArchiveKey.FromPassphrase(passphrase)
        : job.KeyFile is { Length: > 0 } keyFile ? ArchiveKey.FromKeyFile(keyFile)
        : null;
}
