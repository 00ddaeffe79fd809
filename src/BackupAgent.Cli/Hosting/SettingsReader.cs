using System.Globalization;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Docker;
using BackupAgent.Scheduling.Config;
using BackupAgent.Wiring;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// The agent's settings from a command's global options, else the environment, else (for the commands that run
/// jobs) the configuration's <c>engine:</c> section, else their defaults.
/// </summary>
public static class SettingsReader
{
    public static AgentSettings Read(Arguments args, AgentConsole console, EngineOptions? configured = null, IReadOnlyDictionary<string, NamedEngineOptions>? named = null)
    {
        string? Env(string name) => console.Environment(name) is { Length: > 0 } value ? value : null;
        configured ??= new EngineOptions();
        var timeout = args.Value("--helper-timeout") is { } option ? (option, "--helper-timeout")
            : Env("BACKUP_AGENT_HELPER_TIMEOUT") is { } env ? (env, "BACKUP_AGENT_HELPER_TIMEOUT")
            : (configured.HelperTimeoutSeconds?.ToString(CultureInfo.InvariantCulture), "engine.helperTimeoutSeconds");

        var host = args.Value("--docker-host") ?? Env("DOCKER_HOST");
        return new AgentSettings
        {
            // As Docker clients take them: TLS files from $DOCKER_CERT_PATH only when $DOCKER_TLS_VERIFY is set; the
            // configuration's certificates only for the configuration's engine.
            Engine = new EngineEndpoint(
                host ?? configured.Host ?? AgentSettings.DefaultEngineAddress,
                args.Value("--docker-cert-path") ?? (Env("DOCKER_TLS_VERIFY") is null ? null : Env("DOCKER_CERT_PATH")) ?? (host is null ? configured.CertPath : null)),
            NamedEngines = (named ?? new Dictionary<string, NamedEngineOptions>()).ToDictionary(
                e => e.Key, e => new EngineEndpoint(e.Value.Host!, e.Value.CertPath is { Length: > 0 } certs ? certs : null), StringComparer.OrdinalIgnoreCase),
            HelperImage = args.Value("--helper-image") ?? Env("BACKUP_AGENT_HELPER_IMAGE") ?? configured.HelperImage ?? AgentSettings.DefaultHelperImage,
            HelperTimeout = HelperTimeout(timeout),
            HelperOutput = Env(HelperOutputChoice.Setting),
            RunDirectory = Env("BACKUP_AGENT_RUN_DIR"),
            StateDirectory = args.Value("--state-dir") ?? Env("BACKUP_AGENT_STATE_DIR") ?? DefaultStateDirectory(),
            StoreEnvironment = console.Environment,
        };
    }

    /// <summary>SECONDS from <paramref name="name"/>, else a day; 0 means no limit.</summary>
    private static TimeSpan? HelperTimeout((string? Value, string Name) setting)
    {
        var (value, name) = setting;
        if (value is null)
        {
            return TimeSpan.FromSeconds(AgentSettings.DefaultHelperTimeoutSeconds);
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= AgentSettings.MaxHelperTimeoutSeconds
            ? seconds == 0 ? null : TimeSpan.FromSeconds(seconds)
            : throw new BadInputException($"{name} '{value}' is not a whole number of seconds up to {AgentSettings.MaxHelperTimeoutSeconds} (0: no limit)");
    }

    /// <summary>/var/lib/backup-agent for root, else ~/.local/state/backup-agent.</summary>
    private static string DefaultStateDirectory() => Environment.UserName == "root"
        ? "/var/lib/backup-agent"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "backup-agent");
}
