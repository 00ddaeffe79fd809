namespace BackupAgent.Cli.Hosting;

/// <summary>The help texts.</summary>
public static class Usage
{
    public const string Overview = """
        backup-agent: back up, restore, verify and copy Docker volumes' backups

        Commands:
          backup   --to DEST (--volume NAME ... | --container NAME) [--compression zstd|gzip|none] [--stop]
                   [--stop-timeout SECONDS] [--exclude PATTERN ...] [--dry-run] [--json]
          restore  --from DEST [--backup ID|latest] [--volume NAME[=TARGET] ...] [--force] [--no-stop]
                   [--to-original-paths] [--trust-volume-options] [--json]
          recover  start the containers that an agent which was killed left stopped
          migrate  --to-engine URI (--volume NAME[=TARGET] ... | --container NAME) [--via DEST] [--with-containers]
                   [--start] [--copy-images] [--stop] [--leave-stopped] [--force] [--dry-run] [--json]
          list     --from DEST [--volume NAME] [--json]
          verify   --from DEST [--backup ID|latest] [--deep] [--json]
          prune    --from DEST [--volume NAME] --keep-last N --keep-hourly N --keep-daily N --keep-weekly N
                   --keep-monthly N --keep-yearly N --keep-within DURATION [--time-zone ZONE] [--dry-run] [--json]
          copy     --from DEST --to DEST [--backup ID|latest|all] [--volume NAME] [--dry-run] [--json]
          backup   --job NAME [--config PATH] [--json]          run a configured job now
          keygen   [--output FILE] | --recipients-of IDENTITY_FILE [--output FILE]   an age key pair (0600)

        The scheduled agent (configuration: --config PATH, else config/agent.yaml, else /etc/backup-agent/agent.yaml):
          run           [--config PATH] [--once JOB]   run the jobs on their schedules until SIGTERM/Ctrl-C
          status        [--config PATH] [--json]       each job's schedule, next run and last run
          config check  [--config PATH]                validate the configuration; every problem at once (exit 2)

        DEST is a host directory (an absolute path or file:///PATH) or s3://BUCKET/PREFIX. S3 settings come from
        the AWS environment and profiles (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE,
        AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for S3-compatible services) and BACKUP_AGENT_S3_PATH_STYLE,
        _REQUEST_CHECKSUM_CALCULATION, _RESPONSE_CHECKSUM_VALIDATION (WHEN_REQUIRED by default), _STORAGE_CLASS,
        _SSE, _SSE_KMS_KEY_ID, _PART_SIZE_MIB (5), _MAX_PARTS (10000), _PARALLEL_PARTS (4), _MAX_ATTEMPTS (5).

        Global options:
          --docker-host URI     the engine (default: $DOCKER_HOST, else unix:///var/run/docker.sock)
          --docker-cert-path DIR  TLS for a tcp:// engine: ca.pem, cert.pem, key.pem (default: $DOCKER_CERT_PATH when
                                $DOCKER_TLS_VERIFY is set)
          --helper-image IMAGE  the helper image (default: $BACKUP_AGENT_HELPER_IMAGE, else backup-agent-helper:latest)
          --helper-timeout S    kill a helper container that runs longer, failing its job (default:
                                $BACKUP_AGENT_HELPER_TIMEOUT, else 86400, a day; 0: no limit)
          --state-dir DIR       the agent's state: the journal of stopped containers (default: $BACKUP_AGENT_STATE_DIR,
                                else /var/lib/backup-agent as root, ~/.local/state/backup-agent otherwise)
          --verbose             debug logging

        Progress: backup, restore, verify and migrate take --progress auto|tty|plain|none (default auto: JSON status
        lines with --json, one line rewritten on a terminal, else a log line at every 5% or 10 s once a run lasts 10 s).

        Encryption: backup --passphrase-file, --key-file or --recipient (age public keys); restore and verify take the
        passphrase, key file or --identity-file. See 'backup-agent backup --help' and 'backup-agent keygen --help'.

        Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration, 3 the encryption key is missing
        or wrong.
        Run 'backup-agent COMMAND --help' for a command's details.
        """;
}
