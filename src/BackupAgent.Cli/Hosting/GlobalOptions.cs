using System.CommandLine;

namespace BackupAgent.Cli.Hosting;

/// <summary>The options every command takes, anywhere on the line (before or after the command's name).</summary>
public static class GlobalOptions
{
    public const string Verbose = "--verbose";
    public const string Quiet = "--quiet";

    public static IReadOnlyList<Option> Create()
    {
        Option[] options =
        [
            CliOption.Value("--docker-host", "URI", "the engine (default: $DOCKER_HOST, else unix:///var/run/docker.sock)"),
            CliOption.Value("--docker-cert-path", "DIR", "TLS for a tcp:// engine: ca.pem, cert.pem, key.pem (default: $DOCKER_CERT_PATH when $DOCKER_TLS_VERIFY is set)"),
            CliOption.Value("--helper-image", "IMAGE", "the helper image (default: $BACKUP_AGENT_HELPER_IMAGE, else backup-agent-helper:latest)"),
            CliOption.Value("--helper-timeout", "SECONDS", "kill a helper container that runs longer, failing its job (default: $BACKUP_AGENT_HELPER_TIMEOUT, else 86400, a day; 0: no limit)"),
            CliOption.Value("--state-dir", "DIR", "the agent's state: the journal of stopped containers (default: $BACKUP_AGENT_STATE_DIR, else /var/lib/backup-agent as root, ~/.local/state/backup-agent otherwise)"),
            CliOption.Flag(Verbose, "debug logging"),
            CliOption.Flag(Quiet, "print errors only on stderr (no information, warning or progress lines, no notes); results still go to stdout"),
        ];
        foreach (var option in options)
        {
            option.Recursive = true;
        }

        return options;
    }
}
