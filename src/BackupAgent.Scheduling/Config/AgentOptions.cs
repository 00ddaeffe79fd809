namespace BackupAgent.Scheduling.Config;

/// <summary>The whole configuration file (config/agent.yaml), as bound by Microsoft.Extensions.Configuration.</summary>
public sealed class AgentOptions
{
    /// <summary>Where the run history lives; relative paths are relative to the config file.</summary>
    public string? State { get; set; }

    public Dictionary<string, DestinationOptions> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public List<JobOptions> Jobs { get; set; } = [];

    public LoggingOptions Logging { get; set; } = new();

    public ConcurrencyOptions Concurrency { get; set; } = new();

    /// <summary>The engine the agent's jobs use, and its helpers; a command's options and the environment override it.</summary>
    public EngineOptions Engine { get; set; } = new();

    /// <summary>Further engines by name (engines: { web1: { host: tcp://10.0.0.5:2376, certPath: ... } }), that a job names with engine: NAME.</summary>
    public Dictionary<string, NamedEngineOptions> Engines { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public NotificationOptions Notifications { get; set; } = new();

    public DiscoveryOptions Discovery { get; set; } = new();

    /// <summary>The HTTP endpoint of /metrics, /healthz and /readyz; off unless metrics.listen is set.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Cluster mode (docs/cluster.md): the agents of a fleet share Quartz's job store and their state in PostgreSQL. Null: one agent alone.</summary>
    public ClusterOptions? Cluster { get; set; }

    /// <summary>The file this was read from (read-only, so not a key).</summary>
    public string SourceFile { get; private set; } = "";

    internal void ReadFrom(string file) => SourceFile = file;
}

/// <summary>A named destination that jobs refer to by name.</summary>
public sealed class DestinationOptions
{
    /// <summary>DEST as the CLI takes it: an absolute path, file:///PATH (later s3://BUCKET/PREFIX), or a path relative to the config file.</summary>
    public string? Url { get; set; }
}

/// <summary>One scheduled job.</summary>
public sealed class JobOptions
{
    public string? Name { get; set; }

    /// <summary>What the job does: backup (prune, verify and migrate come with their issues).</summary>
    public string Kind { get; set; } = "backup";

    /// <summary>A Quartz cron expression with seconds: "0 0 3 * * ?" is 03:00 every day.</summary>
    public string? Cron { get; set; }

    /// <summary>An IANA time zone (Europe/Berlin); default: the host's.</summary>
    public string? TimeZone { get; set; }

    public SourceOptions Sources { get; set; } = new();

    /// <summary>A destination name from <see cref="AgentOptions.Destinations"/>, or a DEST string.</summary>
    public string? Destination { get; set; }

    public string? Compression { get; set; }

    /// <summary>Stop the running containers that use the volumes while they are read (as backup --stop).</summary>
    public bool Stop { get; set; }

    /// <summary>Commands run inside containers before and after a backup, besides those from container labels.</summary>
    public List<HookOptions> Hooks { get; set; } = [];

    /// <summary>kind: prune. The retention rules (as prune --keep-*).</summary>
    public KeepOptions Keep { get; set; } = new();

    /// <summary>kind: prune and copy: only the sets that hold this volume.</summary>
    public string? Volume { get; set; }

    /// <summary>kind: verify: also restore each archive into a scratch volume and compare every file (a restore drill).</summary>
    public bool Deep { get; set; }

    /// <summary>The engine the job works on, by its name under engines:; empty: the agent's engine (engine:).</summary>
    public string? Engine { get; set; }

    /// <summary>kind: migrate. The engine that keeps a standing copy of the sources' volumes: a name under engines:, or unix:///PATH or tcp://HOST:PORT.</summary>
    public string? TargetEngine { get; set; }

    /// <summary>Encrypts (backup) and decrypts (verify) archives with this passphrase; use passphrase_FILE for a secret file.</summary>
    public string? Passphrase { get; set; }

    /// <summary>... or with the 32-byte key in this file.</summary>
    public string? KeyFile { get; set; }

    /// <summary>kind: backup. Encrypts to these age public keys (recipients files of backup-agent keygen, or age1... keys); this host cannot read the sets.</summary>
    public List<string> Recipients { get; set; } = [];

    /// <summary>kind: verify. Decrypts with the age identities in this file.</summary>
    public string? IdentityFile { get; set; }

    /// <summary>
    /// Destinations (names or DESTs) that hold copies of this job's destination: a backup job copies each new set to each
    /// of them, a copy job copies every set there, a prune job prunes each of them with the same rules.
    /// </summary>
    public List<string> Copies { get; set; } = [];

    /// <summary>kind: backup. GNU tar patterns, relative to each source's root, that the backups leave out (as backup --exclude).</summary>
    public List<string> Exclude { get; set; } = [];

    /// <summary>Whether a run missed while the agent was down is made up once at start-up (default true).</summary>
    public bool CatchUp { get; set; } = true;

    /// <summary>URLs a monitor (healthchecks.io, Uptime Kuma) is pinged at when a run starts, succeeds or fails.</summary>
    public PingOptions Ping { get; set; } = new();

    /// <summary>kind: backup: make incremental sets (docs/incremental.md), with a full after fullEvery incrementals or at fullCron.</summary>
    public IncrementalOptions? Incremental { get; set; }
}

/// <summary>A job's monitoring pings: each URL gets a GET (retried with backoff); empty: no ping.</summary>
public sealed class PingOptions
{
    /// <summary>When a run starts (healthchecks.io: .../start), so that the monitor measures its duration.</summary>
    public string? Start { get; set; }

    /// <summary>When a run succeeded.</summary>
    public string? Success { get; set; }

    /// <summary>When a run failed or was cancelled (healthchecks.io: .../fail): the ping that must not be lost.</summary>
    public string? Failure { get; set; }
}

/// <summary>A backup job's chains: a full after <see cref="FullEvery"/> incrementals, or whenever <see cref="FullCron"/> fires (one of the two).</summary>
public sealed class IncrementalOptions
{
    public int? FullEvery { get; set; }

    public string? FullCron { get; set; }

    /// <summary>This run makes a new full that starts a chain (backup --job NAME --full); not a configuration key.</summary>
    internal bool FullNow { get; set; }
}

/// <summary>A hook of a backup job: <c>sh -c</c> commands inside a running container.</summary>
public sealed class HookOptions
{
    public string? Container { get; set; }

    /// <summary>Before the backup (before anything is stopped), e.g. pg_dumpall into the volume.</summary>
    public string? Pre { get; set; }

    /// <summary>After the backup, on every path.</summary>
    public string? Post { get; set; }

    public string? User { get; set; }

    public int TimeoutSeconds { get; set; } = 300;

    /// <summary>What a failing pre hook does: fail (the run fails, nothing is read) or continue.</summary>
    public string OnError { get; set; } = "fail";
}

/// <summary>Retention rules of a prune job: see backup-agent prune --help.</summary>
public sealed class KeepOptions
{
    public int Last { get; set; }

    public int Hourly { get; set; }

    public int Daily { get; set; }

    public int Weekly { get; set; }

    public int Monthly { get; set; }

    public int Yearly { get; set; }

    /// <summary>A duration such as 7d, 36h or 1y6m.</summary>
    public string? Within { get; set; }
}

/// <summary>What a backup job reads. All empty: the demo volume backup-agent-demo.</summary>
public sealed class SourceOptions
{
    public List<string> Volumes { get; set; } = [];

    public List<string> Containers { get; set; } = [];

    /// <summary>A Docker label filter (KEY or KEY=VALUE): every matching container, re-read at every run.</summary>
    public string? LabelSelector { get; set; }

    public bool IsEmpty => Volumes.Count == 0 && Containers.Count == 0 && string.IsNullOrEmpty(LabelSelector);
}

public sealed class LoggingOptions
{
    /// <summary>Verbose, Debug, Information, Warning, Error.</summary>
    public string Level { get; set; } = "Information";

    /// <summary>human, json (compact JSON) or none.</summary>
    public string Console { get; set; } = "human";

    public FileLogOptions File { get; set; } = new();
}

public sealed class FileLogOptions
{
    /// <summary>A rolling log file (one per day); relative to the config file. Empty: no file.</summary>
    public string? Path { get; set; }

    /// <summary>json (compact JSON, default) or human.</summary>
    public string Format { get; set; } = "json";

    public int RetainedFiles { get; set; } = 14;
}

/// <summary>The engine settings of the configuration: each one only where neither an option nor the environment gives it.</summary>
public sealed class EngineOptions
{
    /// <summary>The engine's address, as DOCKER_HOST takes it (unix:///PATH, tcp://HOST:PORT).</summary>
    public string? Host { get; set; }

    /// <summary>The directory of the TLS files (ca.pem, cert.pem, key.pem) for a tcp:// engine, as DOCKER_CERT_PATH.</summary>
    public string? CertPath { get; set; }

    /// <summary>The helper image, as BACKUP_AGENT_HELPER_IMAGE.</summary>
    public string? HelperImage { get; set; }

    /// <summary>Seconds a helper may run (0: no limit), as BACKUP_AGENT_HELPER_TIMEOUT.</summary>
    public int? HelperTimeoutSeconds { get; set; }
}

/// <summary>cluster: the PostgreSQL every node of the fleet shares, and this node's name in it.</summary>
public sealed class ClusterOptions
{
    /// <summary>An Npgsql connection string (Host=...;Database=...;Username=...); the password better in password_FILE.</summary>
    public string? Postgres { get; set; }

    /// <summary>The password of the connection string's user (password_FILE: read from a file).</summary>
    public string? Password { get; set; }

    /// <summary>This node's name, unique in the fleet; default: the host name.</summary>
    public string? NodeName { get; set; }

    /// <summary>How often a node checks in (Quartz's clusterCheckinInterval), in seconds; default 7.5.</summary>
    public double CheckinIntervalSeconds { get; set; } = 7.5;

    /// <summary>How long past its check-in a node is taken for dead and its jobs recovered (Quartz's clusterCheckinMisfireThreshold), in seconds; default 7.5.</summary>
    public double CheckinMisfireThresholdSeconds { get; set; } = 7.5;
}

/// <summary>An engine under engines:, which jobs name: where it is and, for tcp:// with TLS, its certificates.</summary>
public sealed class NamedEngineOptions
{
    /// <summary>unix:///PATH or tcp://HOST:PORT.</summary>
    public string? Host { get; set; }

    /// <summary>The directory of ca.pem, cert.pem and key.pem for a TLS engine.</summary>
    public string? CertPath { get; set; }
}

public sealed class ConcurrencyOptions
{
    /// <summary>How many job runs may go on at once, all jobs together.</summary>
    public int MaxRuns { get; set; } = 2;

    /// <summary>On SIGTERM/Ctrl-C, how long running jobs get to finish cancelling.</summary>
    public int StopTimeoutSeconds { get; set; } = 30;
}

public sealed class NotificationOptions
{
    public WebhookOptions Webhook { get; set; } = new();
}

public sealed class WebhookOptions
{
    /// <summary>Where to POST a JSON body; empty: no notifications. May come from a file (Url_FILE).</summary>
    public string? Url { get; set; }

    public bool OnFailure { get; set; } = true;

    public bool OnSuccess { get; set; }
}

/// <summary>The agent's monitoring endpoint.</summary>
public sealed class MetricsOptions
{
    /// <summary>HOST:PORT to serve /metrics, /healthz and /readyz on, e.g. 127.0.0.1:9464 or 0.0.0.0:9464; empty: off.</summary>
    public string? Listen { get; set; }
}

/// <summary>Containers that define their own schedule by labels (backup-agent.schedule): how they are found and run.</summary>
public sealed class DiscoveryOptions
{
    /// <summary>How often the agent looks for such containers.</summary>
    public int IntervalSeconds { get; set; } = 30;

    /// <summary>For containers without a backup-agent.destination label: a destination name or DEST. Empty: such containers are skipped.</summary>
    public string? Destination { get; set; }

    /// <summary>The time zone of their schedules; default: the host's.</summary>
    public string? TimeZone { get; set; }

    public string? Compression { get; set; }
}
