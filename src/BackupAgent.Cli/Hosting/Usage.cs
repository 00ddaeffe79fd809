namespace BackupAgent.Cli.Hosting;

/// <summary>The prose of the overview; the commands and options in it come from the tree (<see cref="HelpText"/>).</summary>
public static class Usage
{
    public const string Summary = "backup-agent: back up, restore, verify and copy Docker volumes' backups";

    public const string Notes = """
        The scheduled agent (run, status, config check) reads its configuration from --config PATH, else config/agent.yaml, else /etc/backup-agent/agent.yaml.

        DEST is a host directory (an absolute path or file:///PATH) or s3://BUCKET/PREFIX. S3 settings come from the AWS environment and profiles (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for S3-compatible services) and BACKUP_AGENT_S3_PATH_STYLE, _REQUEST_CHECKSUM_CALCULATION, _RESPONSE_CHECKSUM_VALIDATION (WHEN_REQUIRED by default), _STORAGE_CLASS, _SSE, _SSE_KMS_KEY_ID, _PART_SIZE_MIB (5), _MAX_PARTS (10000), _PARALLEL_PARTS (4), _MAX_ATTEMPTS (5).

        Encryption: backup --passphrase-file, --key-file or --recipient (age public keys); restore and verify take the passphrase, key file or --identity-file. See 'backup-agent help backup' and 'backup-agent help keygen'.

        Output: sizes are human (KiB, MiB, GiB) in text and bytes in --json. Colour only when stderr is a terminal, and never with NO_COLOR set. 'backup-agent completion bash|zsh|fish' prints a completion script.

        Progress: backup, restore, verify and migrate take --progress auto|tty|plain|none (default auto: JSON status lines with --json, one line rewritten on a terminal, else a log line at every 5% or 10 s once a run lasts 10 s; none with --quiet).

        Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration, 3 the encryption key is missing or wrong.
        """;
}
