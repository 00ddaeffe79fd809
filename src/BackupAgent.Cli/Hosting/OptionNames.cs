using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>How the CLI words the settings that messages name: as the options (and environment variables) it takes.</summary>
public static class OptionNames
{
    public static string For(Setting setting) => setting switch
    {
        Setting.Force => "--force",
        Setting.Key => "--passphrase-file, --key-file, --identity-file, or BACKUP_AGENT_PASSPHRASE(_FILE)",
        Setting.HelperTimeout => "--helper-timeout SECONDS or BACKUP_AGENT_HELPER_TIMEOUT",
        Setting.CopyImages => "add --copy-images",
        Setting.Backup => "--backup",
        Setting.Volume => "--volume",
        Setting.Container => "--container",
        Setting.Compression => "--compression",
        Setting.Engine => "--docker-host",
        Setting.TargetEngine => "--to-engine",
        Setting.StateDirectory => "--state-dir",
        Setting.Retention => "--keep-*",
        Setting.ToOriginalPaths => "--to-original-paths",
        Setting.TrustVolumeOptions => "--trust-volume-options",
        _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, "a setting the CLI has no option for"),
    };

    /// <summary>The message of an error, in the CLI's terms.</summary>
    public static string Describe(Exception e) => e.Describe(For);
}
