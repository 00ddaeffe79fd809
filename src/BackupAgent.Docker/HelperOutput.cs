using System.Runtime.InteropServices;

namespace BackupAgent.Docker;

/// <summary>How a helper's stdout reaches the agent.</summary>
public enum HelperOutput
{
    /// <summary>Docker's attach stream: works with any engine, local or remote (~230 MB/s here).</summary>
    AttachStream,

    /// <summary>A FIFO in a bind-mounted host directory: only where the engine runs on this host (~560 MB/s here).</summary>
    Fifo,
}

/// <summary>The one place that picks the output path, by capability.</summary>
public static class HelperOutputChoice
{
    /// <summary>Environment variable: "attach" forces the attach stream; "auto" (the default) picks by capability.</summary>
    public const string Setting = "BACKUP_AGENT_HELPER_OUTPUT";

    /// <summary>
    /// The FIFO needs the engine to see this host's file system: an engine on a unix socket that exists here.
    /// A remote engine (tcp://, ssh://, npipe://) gets the attach stream.
    /// </summary>
    public static HelperOutput Choose(Uri endpoint, string? setting, Func<string, bool> socketExists) =>
        setting?.Trim().ToLowerInvariant() switch
        {
            "attach" => HelperOutput.AttachStream,
            _ when endpoint.Scheme == "unix" && socketExists(endpoint.LocalPath) => HelperOutput.Fifo,
            _ => HelperOutput.AttachStream,
        };

    /// <summary>
    /// Where FIFOs are made: BACKUP_AGENT_RUN_DIR, else /run/backup-agent for root, else null: a fresh private
    /// directory per helper in the temporary directory (a shared one there could be made first by another user).
    /// </summary>
    public static string? RunRoot(string? setting) =>
        setting is { Length: > 0 } dir ? dir
        : GetEffectiveUserId() == 0 ? "/run/backup-agent"
        : null;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
