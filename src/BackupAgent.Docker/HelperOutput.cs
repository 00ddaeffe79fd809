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

    /// <summary>
    /// For an engine that <see cref="Choose"/> gave the FIFO: where its helpers find the FIFO directories made under
    /// <paramref name="runRoot"/> (null: the temporary directory), or, when they cannot, null and why (the caller
    /// falls back to the attach stream). An agent that is not in a container of this engine is on its host. One that
    /// is (<paramref name="candidates"/> are the IDs it may have; <paramref name="inspect"/> gives a container's mounts,
    /// or null for one the engine does not know) reaches helpers through the mount that holds its run directory.
    /// </summary>
    public static async Task<(FifoPlacement? Placement, string? Why)> PlaceFifosAsync(
        string? runRoot,
        IReadOnlyList<string> candidates,
        Func<string, CancellationToken, Task<IReadOnlyList<(string Type, string Source, string Destination)>?>> inspect,
        CancellationToken cancellationToken)
    {
        var directory = runRoot ?? Path.GetTempPath();
        if (runRoot is not null)
        {
            try
            {
                Directory.CreateDirectory(runRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, $"the run directory {runRoot} cannot be created: {e.Message}");
            }
        }

        foreach (var id in candidates)
        {
            if (await inspect(id, cancellationToken) is { } mounts)
            {
                return FifoPlacement.Find(mounts, directory) is { } placement
                    ? (placement, null)
                    : (null, $"the agent runs in container {id[..12]}, where its run directory {directory} is not a mount from the host (mount a host directory or a volume there, as install/docker/compose.yaml does)");
            }
        }

        return candidates.Count == 0
            ? (FifoPlacement.OnHost, null)
            : (null, $"the agent runs in a container ({candidates[0][..12]}) that this engine does not know, so its helpers cannot see the agent's files");
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
