using BackupAgent.Core.Errors;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// How a scheduled job words the settings that messages name: as the keys of its configuration; the agent's own
/// settings (engine, helper timeout, state directory) as the environment variables of the agent's process; what no job
/// does (replacing a restore's target, picking a set, copying images) as the command that does it.
/// </summary>
public static class JobTerms
{
    public static string For(Setting setting) => setting switch
    {
        Setting.Force => "backup-agent restore --force",
        Setting.Key => "passphrase, passphrase_FILE, keyFile or identityFile",
        Setting.HelperTimeout => "BACKUP_AGENT_HELPER_TIMEOUT (seconds) in the agent's environment",
        Setting.CopyImages => "run backup-agent migrate --copy-images once",
        Setting.Backup => "backup-agent verify --backup",
        Setting.Volume => "sources.volumes",
        Setting.Container => "sources.containers",
        Setting.Compression => "compression",
        Setting.Engine => "DOCKER_HOST",
        Setting.TargetEngine => "targetEngine",
        Setting.StateDirectory => "BACKUP_AGENT_STATE_DIR",
        Setting.Retention => "keep rule (keep.last, keep.daily, ...)",
        Setting.ToOriginalPaths => "backup-agent restore --to-original-paths",
        Setting.TrustVolumeOptions => "backup-agent restore --trust-volume-options",
        _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, "a setting jobs have no key for"),
    };

    /// <summary>The message of an error, in a job's terms.</summary>
    public static string Describe(Exception e) => e.Describe(For);

    /// <summary>The error to propagate from a job: one carrying its message in a job's terms (and it as its inner error), or itself when that is its message already.</summary>
    public static Exception Reworded(Exception e) =>
        e is BackupAgentException known && Describe(e) is var text && text != e.Message ? new BackupAgentException(text, known.Kind, e) : e;
}
